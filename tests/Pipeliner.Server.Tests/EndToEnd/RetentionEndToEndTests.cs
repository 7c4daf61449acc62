using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeliner.Server.Retention;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Retention against a real server process and real jobs on the Docker engine: runs with logs and artifacts, one pinned,
/// one deployed (current in qa), the latest of the default branch; a pass keeps exactly those and the newest of each
/// branch, removes the rest from the disk, answers 410 for them and writes what it did to the audit log.
/// </summary>
public sealed class RetentionEndToEndTests : IDisposable
{
    private const string Pipeline = """
        stages: [build, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo building retention-e2e", "mkdir -p out", "head -c 50000 /dev/urandom > out/app.bin"]
            artifacts: { paths: [out] }
          deploy:
            stage: deploy
            needs: [build]
            environment: qa
            if: { branches: [release] }
            script: ["test \"$DEPLOY_OK\" = yes", "echo deployed"]

        """;

    private readonly TempDirectory _directory = new("pipeliner-retention-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Apply_KeepsPinnedDeployedAndLatestRuns_AndRemovesTheRestFromDisk_WithAReal410AndAnAuditEntry()
    {
        await DockerProbe.EnsureEngineAsync();
        var repository = GitRepository.Create(_directory.Combine("repo"), new Dictionary<string, string> { [".pipeliner.yml"] = Pipeline });
        repository.CreateBranch("release");
        repository.Checkout("main");
        var data = _directory.Combine("data");
        await using var server = await ServerProcess.StartAsync(data);
        using var client = server.Client();
        using (var created = await client.PostAsJsonAsync("/api/projects", new { name = "kept", repository = repository.Path, forge = "github", webhookSecret = "retention-webhook-secret" }))
            await Api.ExpectAsync(created, HttpStatusCode.Created);

        // One at a time, so that their numbers are their order: 1 main (pinned), 2 main, 3 release (deploys), 4 release (its deploy fails), 5 main.
        var pinned = await RunAsync(client, "main");
        var expiring = await RunAsync(client, "main");
        var deployed = await RunAsync(client, "release", deploy: true);
        var release = await RunAsync(client, "release");
        var latest = await RunAsync(client, "main");
        using (var pin = await client.PostAsync($"/api/runs/{pinned}/pin", null)) await Api.ExpectAsync(pin, HttpStatusCode.OK);
        using (var put = await client.PutAsync("/api/projects/kept/retention", new StringContent("""{"keepLastPerBranch": 1}""", Encoding.UTF8, "application/json")))
            await Api.ExpectAsync(put, HttpStatusCode.OK);
        Assert.True(Directory.Exists(RunFolder(data, expiring, "logs")) && Directory.Exists(RunFolder(data, expiring, "artifacts")));

        using var apply = await client.PostAsync("/api/retention/apply", null);
        await Api.ExpectAsync(apply, HttpStatusCode.OK);
        var report = (await apply.Content.ReadFromJsonAsync<RetentionReport>(Api.Json))!;

        var gone = Assert.Single(report.Runs);
        Assert.Equal((expiring, "the project keeps the last run of each branch"), (gone.RunId, gone.Logs));
        Assert.True(gone.ArtifactBytes >= 50_000, $"the artifacts freed {gone.ArtifactBytes} bytes");
        Assert.False(Directory.Exists(RunFolder(data, expiring, "logs")), "the logs are gone from the disk");
        Assert.False(Directory.Exists(RunFolder(data, expiring, "artifacts")), "the artifacts are gone from the disk");
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using (var log = await client.GetAsync($"/api/runs/{expiring}/jobs/build/log"))
        {
            Assert.Equal($"the log of run {expiring} expired on {day}; the project keeps the last run of each branch",
                (await Api.ProblemAsync(log, HttpStatusCode.Gone)).Detail());
        }

        using (var artifacts = await client.GetAsync($"/api/runs/{expiring}/artifacts"))
        {
            Assert.Equal($"the artifacts of run {expiring} expired on {day}; the project keeps the last run of each branch",
                (await Api.ProblemAsync(artifacts, HttpStatusCode.Gone)).Detail());
        }

        var record = await client.GetRunAsync(expiring);
        Assert.Equal(("succeeded", "succeeded"), (record.Status, record.Job("build").Status));
        foreach (var kept in new[] { pinned, deployed, release, latest })
        {
            Assert.Contains("building retention-e2e", await client.LogAsync(kept, "build"));
            var listed = (await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{kept}/artifacts", Api.Json))!;
            using var download = await client.GetAsync($"/api/runs/{kept}/artifacts/{Assert.Single(listed).Name}");
            await Api.ExpectAsync(download, HttpStatusCode.OK);
        }

        var audit = await client.GetFromJsonAsync<JsonElement>("/api/audit?project=kept", Api.Json);
        var entry = audit.GetProperty("items").EnumerateArray().First(e => e.GetProperty("action").GetString() == "retention.apply");
        Assert.Equal($"removed the logs of 1 runs ({gone.LogBytes} bytes), the artifacts of 1 runs ({gone.ArtifactBytes} bytes) and 0 caches (0 bytes): " +
                     $"{gone.LogBytes + gone.ArtifactBytes} bytes ({new Core.Model.ByteSize(gone.LogBytes + gone.ArtifactBytes)}) in all",
            entry.GetProperty("details").GetString());
    }

    private static string RunFolder(string data, long run, string part) =>
        Path.Combine(data, "runs", run.ToString(CultureInfo.InvariantCulture), part);

    private static async Task<long> RunAsync(HttpClient client, string branch, bool deploy = false)
    {
        var id = await client.TriggerAsync("kept", new { branch, variables = deploy ? new Dictionary<string, string> { ["DEPLOY_OK"] = "yes" } : [] });
        var run = await client.WaitForFinishAsync(id, TimeSpan.FromMinutes(3));
        Assert.Equal(deploy || branch != "release" ? "succeeded" : "failed", run.Status);
        return id;
    }
}
