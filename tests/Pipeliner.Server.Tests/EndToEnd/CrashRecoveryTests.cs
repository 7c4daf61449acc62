using System.Net;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// kill -9 of the server: what was stored stays, and the admin token printed at the first start still works. What a kill
/// does to runs in flight is the kill matrix's (<see cref="Reliability.KillMatrixTests"/>).
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-crash-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Restart_KeepsHistoryAndTheFirstAdminToken_WhenTheServerWasKilled()
    {
        await DockerProbe.EnsureEngineAsync();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        var dataDir = _directory.Combine("data");
        RunView finished;
        string token;
        await using (var server = await ServerProcess.StartAsync(dataDir, bootstrapToken: null))
        {
            // First start without a configured token: the server prints its URL and a generated admin token, once.
            Assert.Contains($"Pipeliner: listening on http://127.0.0.1:{server.Port}", server.Output, StringComparison.Ordinal);
            token = Regex.Match(server.Output, @"bootstrap admin token \(shown once\): (plr_\S+)").Groups[1].Value;
            Assert.NotEmpty(token);
            Assert.DoesNotContain(token, await File.ReadAllTextAsync(Path.Combine(dataDir, "pipeliner.db")), StringComparison.Ordinal);
            using var client = server.Client(token);
            using (var created = await client.PostProjectAsync("crashy", repository.Path))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            finished = await client.WaitForFinishAsync(await client.TriggerAsync("crashy", new { branch = "main" }), TimeSpan.FromSeconds(120));
            Assert.Equal("succeeded", finished.Status);

            await server.KillAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(dataDir, bootstrapToken: null);
        Assert.DoesNotContain("bootstrap admin token", restarted.Output, StringComparison.Ordinal);
        using var again = restarted.Client(token);
        var kept = await again.GetRunAsync(finished.Id);
        Assert.Equal((finished.Status, finished.FinishedAt, finished.Jobs.Count), (kept.Status, kept.FinishedAt, kept.Jobs.Count));
        Assert.Contains("building", await again.LogAsync(finished.Id, "build"), StringComparison.Ordinal);
    }
}
