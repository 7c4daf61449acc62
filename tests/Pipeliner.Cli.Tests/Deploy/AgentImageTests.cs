using System.Reflection;
using Pipeliner.TestSupport.Containers;

namespace Pipeliner.Cli.Tests.Deploy;

/// <summary>
/// The agent image that <c>deploy/docker/build-offline.sh</c> builds (<c>pipeliner/agent:dev</c>): the self-contained
/// <c>pipeliner</c> command as the non-root user, started the way <c>deploy/docker/agent.Dockerfile</c> starts it.
/// </summary>
[Trait("Category", "Images")]
public sealed class AgentImageTests
{
    [Fact]
    public async Task AgentImage_PrintsTheCommandsHelp_WhenRunWithHelp()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Agent);

        var result = await DockerCommand.RunAsync("run", "--rm", "--label", "io.pipeliner.test=images", OfflineImages.Agent, "--help");

        Assert.True(result.ExitCode == 0, result.Both);
        Assert.Contains("pipeliner [command] [options]", result.Out, StringComparison.Ordinal);
        Assert.Contains("validate <FILE>", result.Out, StringComparison.Ordinal);
        Assert.Contains("agent ", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentImage_ExplainsTheAgentCommandsOptions_WhenRunWithAgentHelp()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Agent);

        var result = await DockerCommand.RunAsync("run", "--rm", "--label", "io.pipeliner.test=images", OfflineImages.Agent, "agent", "--help");

        Assert.True(result.ExitCode == 0, result.Both);
        foreach (var option in new[] { "--server", "--token", "--name", "--labels", "--capacity", "--work-dir", "--backend" })
            Assert.Contains(option, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentImage_SaysWhatIsMissing_WhenStartedWithoutAServer()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Agent);

        // The image's command is `agent`: without --server or PIPELINER_SERVER it stops at once and says so.
        var result = await DockerCommand.RunAsync("run", "--rm", "--label", "io.pipeliner.test=images", OfflineImages.Agent);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("PIPELINER_SERVER", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentImage_PrintsThisBuildsVersion_WhenRunWithVersion()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Agent);
        // The commit after '+' is the checkout's HEAD at build time, which a commit since the image was built moves.
        var expected = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

        var result = await DockerCommand.RunAsync("run", "--rm", "--label", "io.pipeliner.test=images", OfflineImages.Agent, "--version");

        Assert.True(result.ExitCode == 0, result.Both);
        Assert.StartsWith(expected, result.Out.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentImage_RunsAsTheUnprivilegedUserInItsWorkDirectory_WhenStarted()
    {
        await OfflineImages.ConfigAsync(OfflineImages.Agent);

        var result = await DockerCommand.RunAsync("run", "--rm", "--label", "io.pipeliner.test=images", "--entrypoint", "sh",
            OfflineImages.Agent, "-c", "id -u; pwd; touch credential-probe && echo writable; command -v pipeliner");

        Assert.True(result.ExitCode == 0, result.Both);
        Assert.Equal([$"{OfflineImages.UserId}", "/var/lib/pipeliner-agent", "writable", "/opt/pipeliner/pipeliner"],
            result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task OfflineAgentImage_StartsLikeTheDockerfile_WhenInspected()
    {
        var config = await OfflineImages.ConfigAsync(OfflineImages.Agent);
        var stage = DockerfileStage.ReadFinal(Path.Combine(OfflineImages.RepositoryRoot(), "deploy", "docker", "agent.Dockerfile"));

        Assert.Empty(stage.DifferencesFrom(config));
        Assert.Equal(["pipeliner"], stage.Entrypoint);
        Assert.Equal(["agent"], stage.Cmd);
    }
}
