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
        var identity = new OwnerIdentity(OwnerIdentity.LocalHost, process.Id, 0);
        await process.WaitForExitAsync();

        Assert.False(identity.IsAlive());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void IsAlive_IsTrue_WhenAnotherProcessRoundedTheStartTimeToANeighbouringSecond(int seconds)
    {
        // Processes estimate the boot time each for themselves and disagree by milliseconds.
        Assert.True((OwnerIdentity.Current with { StartTicks = OwnerIdentity.Current.StartTicks + seconds }).IsAlive());
    }

    [Fact]
    public async Task IsAlive_IsFalse_WhenTheProcessIsAZombieNotYetReaped()
    {
        // The child exits after a moment; its parent has become a plain sleep by then and never reaps it.
        using var parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.5 & echo $!; exec sleep 30"]) { RedirectStandardOutput = true })!;
        try
        {
            var zombie = int.Parse((await parent.StandardOutput.ReadLineAsync())!, CultureInfo.InvariantCulture);
            using var child = Process.GetProcessById(zombie);
            var identity = new OwnerIdentity(OwnerIdentity.LocalHost, zombie, child.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond);
            Assert.True(identity.IsAlive());
            while (!File.ReadAllText($"/proc/{zombie}/stat").Contains(") Z ", StringComparison.Ordinal)) await Task.Delay(20);

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

    [Fact]
    public void IsAlive_IsTrue_WhenTheOwnerHasThisMachinesNameButAnotherPidNamespace()
    {
        // A container with the host's name (--network host) has its own pids: it cannot tell whether a host process lives.
        Assert.True(new OwnerIdentity(Environment.MachineName + "@1", 999_999_999, 1).IsAlive());
    }
}
