using System.Diagnostics;
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
    public void IsAlive_IsTrue_ForThisProcess()
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
    public void IsAlive_IsTrue_WhenOwnerIsOnAnotherHost()
    {
        Assert.True(new OwnerIdentity("some-other-host", 1, 1).IsAlive());
    }
}
