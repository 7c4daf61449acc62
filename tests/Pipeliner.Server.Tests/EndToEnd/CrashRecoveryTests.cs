using System.Net;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// kill -9 of the server mid-run: what was stored stays, the dead job's container goes, the job is lost and queued
/// again once, and lost a second time it fails: no run stays running forever.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-crash-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Restart_KeepsHistoryRemovesDeadContainersAndRequeuesTheLostJobOnce_WhenTheServerWasKilledMidRun()
    {
        await DockerProbe.EnsureEngineAsync();
        var sleeper = $"sleeper-{Guid.NewGuid():N}"[..20];
        var pipeline = $$"""
            stages: [build, test]
            defaults: { image: alpine:3 }
            jobs:
              {{sleeper}}:
                stage: build
                script: ["echo sleeping", "sleep 300"]
              after:
                stage: test
                needs: [{{sleeper}}]
                script: ["echo after"]

            """;
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipelines.OneJob);
        repository.CreateBranch("slow");
        repository.Commit("slow pipeline", new Dictionary<string, string?> { [".pipeliner.yml"] = pipeline });
        var dataDir = _directory.Combine("data");
        RunView finished;
        long runId;

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
            runId = await client.TriggerAsync("crashy", new { branch = "slow" });
            await client.WaitForJobAsync(runId, sleeper, "running", TimeSpan.FromSeconds(120));
            await RunningContainerAsync(sleeper, attempt: 1);

            await server.KillAsync();
        }

        // Nothing stopped the container: only the next start can clean it up.
        Assert.NotEmpty(await DockerProbe.JobContainersAsync(sleeper));

        await using (var restarted = await ServerProcess.StartAsync(dataDir, bootstrapToken: null))
        {
            Assert.DoesNotContain("bootstrap admin token", restarted.Output, StringComparison.Ordinal);
            using var client = restarted.Client(token);
            var again = await client.GetRunAsync(finished.Id);
            Assert.Equal((finished.Status, finished.FinishedAt, finished.Jobs.Count), (again.Status, again.FinishedAt, again.Jobs.Count));
            Assert.Contains("building", await client.LogAsync(finished.Id, "build"), StringComparison.Ordinal);

            var requeued = await client.WaitForRunAsync(runId, r => r.Job(sleeper).Attempts.Count == 2 && r.Job(sleeper).Status == "running",
                "the lost job to run a second time", TimeSpan.FromSeconds(120));
            var lost = requeued.Job(sleeper).Attempts[0];
            Assert.Equal("failed", lost.Status);
            Assert.Contains("lost", lost.Message, StringComparison.Ordinal);
            Assert.Equal("running", requeued.Status);
            Assert.Contains("sleeping", await client.LogAsync(runId, sleeper, attempt: 1), StringComparison.Ordinal);
            await RunningContainerAsync(sleeper, attempt: 2);
            Assert.All(await DockerProbe.JobContainersAsync(sleeper), c => Assert.True(IsAttempt(c, 2), c.Labels["io.pipeliner.workflow"]));

            await restarted.KillAsync();
        }

        await using (var third = await ServerProcess.StartAsync(dataDir, bootstrapToken: null))
        {
            using var client = third.Client(token);
            var failed = await client.WaitForFinishAsync(runId, TimeSpan.FromSeconds(60));
            Assert.Equal("failed", failed.Status);
            Assert.Equal(("failed", 2), (failed.Job(sleeper).Status, failed.Job(sleeper).Attempts.Count));
            Assert.Contains("lost", failed.Job(sleeper).Reason, StringComparison.Ordinal);
            Assert.Equal("skipped", failed.Job("after").Status);
            await Poll.UntilAsync(() => DockerProbe.JobContainersAsync(sleeper), c => c.Count == 0, "the dead job's containers to be removed",
                TimeSpan.FromSeconds(30));
        }
    }

    private static Task RunningContainerAsync(string job, int attempt) =>
        Poll.UntilAsync(() => DockerProbe.JobContainersAsync(job),
            containers => containers.Any(c => c.State == "running" && IsAttempt(c, attempt)),
            $"attempt {attempt} of '{job}' to run in a container", TimeSpan.FromSeconds(60));

    /// <summary>Workflow ids end in the attempt number and a nonce: <c>{run}-{job}-{attempt}-{nonce}</c>.</summary>
    private static bool IsAttempt(Docker.DotNet.Models.ContainerListResponse container, int attempt) =>
        System.Text.RegularExpressions.Regex.IsMatch(container.Labels["io.pipeliner.workflow"], $"-{attempt}-[0-9a-f]{{8}}$");
}
