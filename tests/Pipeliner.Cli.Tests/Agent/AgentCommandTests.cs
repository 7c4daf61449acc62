using Pipeliner.Cli.Agent;
using Pipeliner.Cli.Tests.Support;

namespace Pipeliner.Cli.Tests.Agent;

/// <summary><c>pipeliner agent</c>'s settings: options over environment variables over defaults, each checked with a precise message.</summary>
public sealed class AgentCommandTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Settings_TakesEveryOptionFromTheEnvironment_WhenNoOptionIsGiven()
    {
        var settings = AgentCommand.Settings(null, null, null, null, null, null, null, null, Environment(
            ("PIPELINER_SERVER", "http://ci.example.com:8080"), ("PIPELINER_AGENT_TOKEN", "plg_token"), ("PIPELINER_AGENT_NAME", "build-2"),
            ("PIPELINER_AGENT_LABELS", "linux, docker ,perf"), ("PIPELINER_AGENT_CAPACITY", "3"), ("PIPELINER_AGENT_WORK_DIR", "/var/lib/agent"),
            ("PIPELINER_AGENT_BACKEND", "shell"), ("PIPELINER_AGENT_MAX_RETRY_DELAY", "2.5")));

        Assert.Equal(("http://ci.example.com:8080/", "plg_token", "build-2", 3, "/var/lib/agent", "shell", TimeSpan.FromSeconds(2.5)),
            (settings.Server.ToString(), settings.Token, settings.Name, settings.Capacity, settings.WorkDir, settings.Backend, settings.Retry.Max));
        Assert.Equal(["linux", "docker", "perf"], settings.Labels);
    }

    [Fact]
    public void Settings_PrefersTheOptions_WhenBothAreGiven()
    {
        var settings = AgentCommand.Settings("http://a.example/", "plg_option", "opt", "gpu", 1, "/w", "kubernetes", "0.5", Environment(
            ("PIPELINER_SERVER", "http://b.example/"), ("PIPELINER_AGENT_TOKEN", "plg_env"), ("PIPELINER_AGENT_CAPACITY", "9"),
            ("PIPELINER_AGENT_MAX_RETRY_DELAY", "30")));

        Assert.Equal(("http://a.example/", "plg_option", "opt", 1, "kubernetes", TimeSpan.FromSeconds(0.5)),
            (settings.Server.ToString(), settings.Token, settings.Name, settings.Capacity, settings.Backend, settings.Retry.Max));
    }

    [Fact]
    public void Settings_WaitsAtMostTenSecondsBetweenTries_WhenNoMaxRetryDelayIsGiven()
    {
        var settings = AgentCommand.Settings("http://a.example/", null, "a", null, 1, null, null, null, Environment());

        Assert.Equal(TimeSpan.FromSeconds(10), settings.Retry.Max);
    }

    [Fact]
    public void RetryBackoff_DoublesFromTheFirstDelayUpToItsMax_WhenTriesFailInARow()
    {
        var retry = new RetryBackoff(TimeSpan.FromSeconds(3));
        var delays = new List<TimeSpan> { retry.First(TimeSpan.FromSeconds(1)) };
        for (var i = 0; i < 3; i++) delays.Add(retry.Next(delays[^1]));

        Assert.Equal([1, 2, 3, 3], delays.Select(d => d.TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(0.5), new RetryBackoff(TimeSpan.FromSeconds(0.5)).First(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(null, "1", "docker", "--server (PIPELINER_SERVER): the Pipeliner server's URL is needed")]
    [InlineData("ftp://x", "1", "docker", "--server: 'ftp://x' is not an http(s) URL")]
    [InlineData("http://x", "0", "docker", "--capacity: 1 to 256 jobs at once")]
    [InlineData("http://x", "many", "docker", "PIPELINER_AGENT_CAPACITY: 'many' is not a number")]
    [InlineData("http://x", "1", "podman", "--backend: unknown backend 'podman' (docker, shell or kubernetes)")]
    [InlineData("http://x", "1", "docker", "--max-retry-delay: 'soon' is not a number of seconds", "soon")]
    [InlineData("http://x", "1", "docker", "--max-retry-delay: 0.1 to 300 seconds", "0.05")]
    [InlineData("http://x", "1", "docker", "--max-retry-delay: 0.1 to 300 seconds", "1e30")]
    public void Settings_SaysWhatIsWrong_WhenASettingIsInvalid(string? server, string capacity, string backend, string message, string? maxRetryDelay = null)
    {
        var error = Assert.Throws<UsageException>(() => AgentCommand.Settings(server, null, "a", null, null, null, backend, null,
            Environment(("PIPELINER_AGENT_CAPACITY", capacity), ("PIPELINER_AGENT_MAX_RETRY_DELAY", maxRetryDelay ?? ""))));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Agent_ExitsTwoSayingWhatIsMissing_WhenNoServerIsGiven()
    {
        var result = PipelinerCli.Run("agent", "--name", "x", "--server", "not a url");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("pipeliner agent: --server: 'not a url' is not an http(s) URL", result.ErrorLines.Single());
    }
}
