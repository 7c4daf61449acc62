using System.Diagnostics;
using Pipeliner.Engine.Backends.Shell;

namespace Pipeliner.Engine.Tests.Backends.Shell;

/// <summary>The sweep that finds a step's processes by their environment: it reads /proc without an exception per unreadable process.</summary>
public sealed class MarkedProcessesTests
{
    [Fact]
    public void ReadEnvironment_GivesTheWholeEnvironment_WhenTheBufferStartsSmall()
    {
        var buffer = new byte[4];
        var path = $"/proc/{Environment.ProcessId}/environ";

        var length = MarkedProcesses.ReadEnvironment(path, ref buffer);

        Assert.Equal(File.ReadAllBytes(path), buffer[..length]);
    }

    [Fact]
    public void ReadEnvironment_IsMinusOne_WhenTheProcessDoesNotExist()
    {
        var buffer = new byte[16];

        Assert.Equal(-1, MarkedProcesses.ReadEnvironment("/proc/2147483647/environ", ref buffer));
    }

    [Fact]
    public void Kill_ThrowsNothingInside_WhenItSweepsEveryProcess()
    {
        var thread = Environment.CurrentManagedThreadId;
        var thrown = new List<string>();
        EventHandler<System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs> count = (_, e) =>
        {
            if (Environment.CurrentManagedThreadId == thread) lock (thrown) thrown.Add($"{e.Exception.GetType().Name}: {e.Exception.Message}");
        };
        AppDomain.CurrentDomain.FirstChanceException += count;
        try
        {
            MarkedProcesses.Kill($"no-such-step-{Guid.NewGuid():N}");
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= count;
        }

        // Kernel threads' environments cannot be read (dozens on a host), nor other users': each was an exception, twice per job.
        Assert.Empty(thrown);
    }

    [Fact]
    public async Task Kill_StopsAProcessCarryingTheMarker_WhenItRuns()
    {
        var marker = $"test-{Guid.NewGuid():N}";
        var start = new ProcessStartInfo("/bin/sh", ["-c", "sleep 60"]) { UseShellExecute = false };
        start.Environment[MarkedProcesses.Variable] = marker;
        using var process = Process.Start(start)!;
        // The environment is readable once the shell has started (not before exec): wait for it, however slow the machine.
        await Poll.UntilAsync(() => Marked(process.Id, marker), "the shell's environment to carry the marker");

        MarkedProcesses.Kill(marker);

        Assert.True(process.WaitForExit(60_000), "the marked process still runs");
    }

    private static bool Marked(int pid, string marker)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains($"{MarkedProcesses.Variable}={marker}");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
