using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Pipeliner.Engine.Backends.Shell;

namespace Pipeliner.Engine.Tests.Backends.Shell;

/// <summary>The sweep that finds a step's processes by their environment: it skips kernel threads without an exception each.</summary>
public sealed class MarkedProcessesTests
{
    [Fact]
    public void IsKernelThread_IsFalse_ForThisProcess() =>
        Assert.False(MarkedProcesses.IsKernelThread(File.ReadAllBytes($"/proc/{Environment.ProcessId}/stat")));

    [Theory]
    // kthreadd's line as Linux 6.x shows it (flags 2129984 = PF_KTHREAD | …).
    [InlineData("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 1 0 0 0 20 0 1 0 25 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0", true)]
    [InlineData("7 (kworker/0:1 ) x) I 2 0 0 0 -1 69238880 0 0", true)]
    [InlineData("9 (sh) S 1 9 9 0 -1 4194560 0 0", false)]
    [InlineData("9 (sh) S 1 9", false)]
    public void IsKernelThread_ReadsTheFlagsAfterTheName_WhenTheNameHoldsSpacesAndParentheses(string stat, bool expected) =>
        Assert.Equal(expected, MarkedProcesses.IsKernelThread(Encoding.ASCII.GetBytes(stat)));

    [Fact]
    public void Kill_ThrowsNothingForKernelThreads_WhenItSweepsEveryProcess()
    {
        var thread = Environment.CurrentManagedThreadId;
        var thrown = new List<Exception>();
        EventHandler<System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs> count = (_, e) =>
        {
            if (Environment.CurrentManagedThreadId == thread) lock (thrown) thrown.Add(e.Exception);
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

        // Reading a kernel thread's environment fails (dozens of them on a host): each was an exception per sweep, twice per
        // job. What may still throw is a process that is not ours to read, or one that ended during the sweep.
        var kernelThreads = thrown.Select(e => Regex.Match(e.Message, "/proc/([0-9]+)/").Groups[1].Value)
            .Where(pid => pid.Length > 0 && File.Exists($"/proc/{pid}/stat") && MarkedProcesses.IsKernelThread(File.ReadAllBytes($"/proc/{pid}/stat")))
            .ToList();
        Assert.Empty(kernelThreads);
    }

    [Fact]
    public async Task Kill_StopsAProcessCarryingTheMarker_WhenItRuns()
    {
        var marker = $"test-{Guid.NewGuid():N}";
        var start = new ProcessStartInfo("/bin/sh", ["-c", "sleep 60"]) { UseShellExecute = false };
        start.Environment[MarkedProcesses.Variable] = marker;
        using var process = Process.Start(start)!;
        // The environment is readable once the shell has started (not before exec).
        await Task.Delay(200);

        MarkedProcesses.Kill(marker);

        Assert.True(process.WaitForExit(10_000), "the marked process still runs");
    }
}
