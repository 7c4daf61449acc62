using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// The server process as a new user starts it: what it prints (the banner, and nothing of the framework around it),
/// and what it says, at start and in each job, when no Docker engine answers.
/// </summary>
public sealed partial class FirstStartTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-first-start-");

    public void Dispose() => _directory.Dispose();

    [GeneratedRegex(@"bootstrap admin token \(shown once\): (plr_\S+)")]
    private static partial Regex GeneratedToken();

    [Fact]
    public async Task Start_PrintsOnlyTheBannerWithAddressTokenDataAndTheMissingEngine_WhenNoDockerEngineAnswers()
    {
        var socket = _directory.Combine("no-engine.sock");
        var dataDir = _directory.Combine("data");
        await using var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 1, bootstrapToken: null,
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = $"unix://{socket}" });

        var output = await BannerAsync(server);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.First().StartsWith('─') && lines.Last().StartsWith('─'), output);
        Assert.True(lines.Length == 7, output);
        Assert.Contains($"Pipeliner: listening on http://127.0.0.1:{server.Port}", lines[1], StringComparison.Ordinal);
        Assert.Matches(GeneratedToken(), lines[2]);
        Assert.Equal($"Data: {dataDir}", lines[4]);
        Assert.StartsWith($"Jobs: the docker backend CANNOT RUN JOBS: no Docker engine answers at unix://{socket} (DOCKER_HOST): the socket does not exist; start one", lines[5]);
        Assert.EndsWith("or run jobs without containers, unisolated, with --Pipeliner:Agent:Backend=shell (environment: Pipeliner__Agent__Backend=shell)", lines[5]);
        Assert.Equal("*", File.ReadAllLines(Path.Combine(dataDir, ".gitignore")).Last());
    }

    [Fact]
    public async Task Job_FailsSayingNoEngineAnswersAndWhatFixesIt_WhenNoDockerEngineAnswers()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 1,
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = $"unix://{_directory.Combine("no-engine.sock")}" });
        using var client = server.Client();
        var project = await CreateProjectAsync(client, repository);

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("failed", run.Status);
        var message = run.Job("build").Attempts.Single().Message!;
        Assert.StartsWith("no Docker engine answers at unix://", message);
        Assert.Contains("--Pipeliner:Agent:Backend=shell", message);
        Assert.DoesNotContain("infrastructure fault", message);
        Assert.DoesNotContain("   at ", server.Output);
    }

    [Fact]
    public async Task Job_RunsOnThisMachine_WhenTheBannersShellSettingIsGiven()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 1,
            settings: ["--Pipeliner:Agent:Backend=shell"],
            environment: new Dictionary<string, string?> { ["DOCKER_HOST"] = $"unix://{_directory.Combine("no-engine.sock")}" });
        using var client = server.Client();
        var project = await CreateProjectAsync(client, repository);

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("succeeded", run.Status);
        Assert.Contains("Jobs: shell backend", await BannerAsync(server), StringComparison.Ordinal);
    }

    private static async Task<string> CreateProjectAsync(HttpClient client, GitRepository repository)
    {
        using var created = await client.PostProjectAsync("first", repository.Path);
        await Api.ExpectAsync(created, System.Net.HttpStatusCode.Created);
        return "first";
    }

    /// <summary>The output once the banner's closing line is there (it is printed just after the server starts answering).</summary>
    private static async Task<string> BannerAsync(ServerProcess server)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Regex.Matches(server.Output, "^─+$", RegexOptions.Multiline).Count < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        return server.Output;
    }
}
