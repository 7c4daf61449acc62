using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>The server as its own process, started with a setting it cannot use: one line naming it, no stack trace.</summary>
public sealed class InvalidSettingsTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-settings-");

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("--Pipeliner:Agent:Capacity=many", "Pipeliner:Agent:Capacity")]
    [InlineData("--Pipeliner:Agent:Capacity=999", "Pipeliner:Agent:Capacity: must be between 0 and 256")]
    [InlineData("--Pipeliner:Agent:Backend=podman", "Pipeliner:Agent:Backend: must be docker or shell")]
    [InlineData("--Pipeliner:Agent:BackgroundNice=20", "Pipeliner:Agent:BackgroundNice: must be between 0 and 19")]
    [InlineData("--Pipeliner:Database:Provider=mysql", "Pipeliner:Database:Provider: must be sqlite or postgres")]
    [InlineData("--Pipeliner:ForgeStatuses:ResendSchedule=every five minutes", "Pipeliner:ForgeStatuses:ResendSchedule: invalid cron expression")]
    [InlineData("--Pipeliner:QueuePollInterval=soon", "Pipeliner:QueuePollInterval")]
    [InlineData("--Pipeliner:Webhooks:KeepDeliveries=0", "Pipeliner:Webhooks:KeepDeliveries: must be between 1 and 1000000")]
    [InlineData("--Pipeliner:Webhooks:RetryDelays:0=-00:00:05", "Pipeliner:Webhooks:RetryDelays: each wait must be between")]
    [InlineData("--Pipeliner:Projects:AllowLocalRepositories=sometimes", "Pipeliner:Projects:AllowLocalRepositories")]
    public async Task Server_ExitsTwoWithOneLineNamingTheSetting_WhenASettingIsInvalid(string argument, string named)
    {
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(_directory.Combine("data"), argument);

        Assert.Equal(2, exitCode);
        Assert.Contains(named, output, StringComparison.Ordinal);
        Assert.StartsWith("Pipeliner: the settings are invalid: ", output.Trim(), StringComparison.Ordinal);
        Assert.Single(output.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
