using System.Diagnostics;
using System.Globalization;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Tests.Backends;

public sealed class OwnerIdentityTests
{
    [Fact]
    public void Parse_ReadsWhatToStringWrote_WhenIdentityIsValid()
    {
        var identity = new OwnerIdentity("builder-1", 4242, 63_900_000_000);

        Assert.Equal(identity, OwnerIdentity.Parse(identity.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("host/12")]
    [InlineData("host/x/1")]
    [InlineData("host/-1/1")]
    [InlineData("a/1/2/3")]
    public void Parse_ReturnsNull_WhenTextIsNotAnIdentity(string? text)
    {
        Assert.Null(OwnerIdentity.Parse(text));
    }

    [Fact]
    public void IsAlive_IsTrue_WhenOwnerIsThisProcess()
    {
        Assert.True(OwnerIdentity.Current.IsAlive());
        Assert.Equal(Environment.ProcessId, OwnerIdentity.Current.ProcessId);
    }

    [Fact]
    public void IsAlive_IsFalse_WhenThePidWasReusedByAnotherProcess()
    {
        Assert.False((OwnerIdentity.Current with { StartTicks = OwnerIdentity.Current.StartTicks - 100 }).IsAlive());
    }

    [Fact]
    public async Task IsAlive_IsFalse_WhenTheProcessHasExited()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true"))!;
        var identity = new OwnerIdentity(Environment.MachineName, process.Id, 0);
        await process.WaitForExitAsync();

        Assert.False(identity.IsAlive());
    }

    [Fact]
    public void Current_UsesTheKernelsStartTick_WhenOnLinux()
    {
        // Process.StartTime comes from a boot time each process estimates for itself: two processes disagree by
        // milliseconds, and rounding to seconds then made a live owner look dead to another pipeliner.
        var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
        var startTick = long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);

        Assert.Equal(startTick, OwnerIdentity.Current.StartTicks);
    }

    [Fact]
    public async Task IsAlive_IsFalse_WhenTheProcessIsAZombieNotYetReaped()
    {
        // The child exits at once but its parent, a shell busy sleeping, reaps it only later.
        using var parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "true & echo $!; exec sleep 30"]) { RedirectStandardOutput = true })!;
        try
        {
            var zombie = int.Parse((await parent.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
            while (!File.ReadAllText($"/proc/{zombie}/stat").Contains(") Z ", StringComparison.Ordinal)) await Task.Delay(20);
            var stat = File.ReadAllText($"/proc/{zombie}/stat");
            var identity = new OwnerIdentity(Environment.MachineName, zombie,
                long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture));

            Assert.False(identity.IsAlive());
        }
        finally
        {
            parent.Kill();
        }
    }

    [Fact]
    public void IsAlive_IsTrue_WhenOwnerIsOnAnotherHost()
    {
        Assert.True(new OwnerIdentity("some-other-host", 1, 1).IsAlive());
    }
}
