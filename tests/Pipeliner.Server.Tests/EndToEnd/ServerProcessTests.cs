using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Tests.Webhooks;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// The server as its own process: a project served by git daemon, a push, a signed GitHub webhook, a run in real
/// containers; then a restart on the same data directory reads the same history.
/// </summary>
public sealed class ServerProcessTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-e2e-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task PushWebhook_RunsInContainersAndSurvivesARestart_WhenTheRepositoryIsServedByGitDaemon()
    {
        await DockerProbe.EnsureEngineAsync();
        var served = Directory.CreateDirectory(_directory.Combine("served")).FullName;
        var bare = Path.Combine(served, "shop.git");
        GitRepository.Run(_directory.Path, "init", "-q", "--bare", "-b", "main", bare);
        var work = GitRepository.WithPipeline(_directory.Combine("work"), Pipelines.BuildAndTest);
        work.Git("push", "-q", bare, "main");
        await using var daemon = await GitDaemon.StartAsync(served);
        var dataDir = _directory.Combine("data");
        long runId;
        long localRunId;
        RunView before;
        RunView localBefore;
        string log;
        ArtifactView artifact;
        byte[] artifactBytes;

        await using (var server = await ServerProcess.StartAsync(dataDir))
        {
            using var client = server.Client();
            using (var created = await client.PostProjectAsync("shop", daemon.UrlOf("shop.git")))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            var pushed = work.Commit("change the shop", new Dictionary<string, string?> { ["shop.txt"] = "v2" });
            work.Git("push", "-q", bare, "main");
            var deliveryId = Guid.NewGuid().ToString();

            using (var accepted = await client.SendAsync(WebhookDelivery.Request("shop", "github", "push",
                       PushPayload(pushed, "refs/heads/main", daemon.UrlOf("shop.git")), Secrets.Webhook, deliveryId)))
            {
                Assert.Equal("accepted", (await accepted.AcceptedAsync()).Status);
            }

            var listed = await Poll.UntilAsync(() => client.GetFromJsonAsync<PageView>("/api/projects/shop/runs", Api.Json),
                page => page!.Total == 1, "the webhook's run to be created", TimeSpan.FromSeconds(60));
            runId = listed!.Items[0].Id;
            before = await client.WaitForFinishAsync(runId, TimeSpan.FromSeconds(120));
            Assert.Equal(("succeeded", "push", "main", pushed), (before.Status, before.Event, before.Branch, before.Commit));
            Assert.Equal($"webhook {deliveryId}", before.Trigger);
            Assert.All(before.Jobs, job => Assert.Equal("succeeded", job.Status));
            log = await client.LogAsync(runId, "test");
            Assert.Contains("binary-content", log, StringComparison.Ordinal);
            artifact = Assert.Single((await client.GetFromJsonAsync<List<ArtifactView>>($"/api/runs/{runId}/artifacts", Api.Json))!);
            artifactBytes = await client.GetByteArrayAsync($"/api/runs/{runId}/artifacts/{artifact.Name}");
            Assert.Equal(artifact.Sha256, Convert.ToHexStringLower(SHA256.HashData(artifactBytes)));

            // The same repository registered by its local path, run by hand.
            using (var local = await client.PostProjectAsync("shop-local", work.Path))
                await Api.ExpectAsync(local, HttpStatusCode.Created);
            localRunId = await client.TriggerAsync("shop-local");
            localBefore = await client.WaitForFinishAsync(localRunId, TimeSpan.FromSeconds(120));
            Assert.Equal(("succeeded", pushed), (localBefore.Status, localBefore.Commit));

            await server.StopAsync();
        }

        await using (var restarted = await ServerProcess.StartAsync(dataDir))
        {
            using var client = restarted.Client();
            var projects = (await client.GetFromJsonAsync<List<ProjectView>>("/api/projects", Api.Json))!;
            Assert.Equal(["shop", "shop-local"], projects.Select(p => p.Name));
            var page = (await client.GetFromJsonAsync<PageView>("/api/projects/shop/runs", Api.Json))!;
            Assert.Equal([runId], page.Items.Select(r => r.Id));
            AssertSameHistory(before, await client.GetRunAsync(runId));
            AssertSameHistory(localBefore, await client.GetRunAsync(localRunId));
            Assert.Equal(log, await client.LogAsync(runId, "test"));
            Assert.Equal(artifactBytes, await client.GetByteArrayAsync($"/api/runs/{runId}/artifacts/{artifact.Name}"));

            // The restarted server goes on numbering and running.
            var next = await client.WaitForFinishAsync(await client.TriggerAsync("shop"), TimeSpan.FromSeconds(120));
            Assert.Equal(("succeeded", 2), (next.Status, next.Number));
        }
    }

    /// <summary>The fixture github/push-branch-update.json with its commit, ref and repository rewritten.</summary>
    private static byte[] PushPayload(string commit, string reference, string cloneUrl)
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        var payload = JsonNode.Parse(WebhookDelivery.Rewritten(fixture, commit))!.AsObject();
        payload["ref"] = reference;
        payload["repository"]!["clone_url"] = cloneUrl;
        payload["repository"]!["full_name"] = "local/shop";
        return Encoding.UTF8.GetBytes(payload.ToJsonString());
    }

    private static void AssertSameHistory(RunView before, RunView after)
    {
        Assert.Equal((before.Id, before.Number, before.Status, before.Commit, before.CreatedAt, before.StartedAt, before.FinishedAt),
            (after.Id, after.Number, after.Status, after.Commit, after.CreatedAt, after.StartedAt, after.FinishedAt));
        Assert.Equal(
            before.Jobs.Select(j => (j.Id, j.Status, j.StartedAt, j.FinishedAt, string.Join(",", j.Attempts.Select(a => $"{a.Number}:{a.Status}:{a.ExitCode}")))),
            after.Jobs.Select(j => (j.Id, j.Status, j.StartedAt, j.FinishedAt, string.Join(",", j.Attempts.Select(a => $"{a.Number}:{a.Status}:{a.ExitCode}")))));
    }
}
