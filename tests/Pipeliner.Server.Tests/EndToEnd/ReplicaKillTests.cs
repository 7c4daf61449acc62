using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Two replicas (separate data directories, one PostgreSQL database, logs in the database, no embedded agents), a
/// <c>pipeliner agent</c> process on the real Docker engine connected to each, and a burst of real GitHub push payloads
/// sent to them in turn. One replica is killed with kill -9 in the middle of the burst and started again on its
/// address: every delivery answered 202 becomes exactly one run, run numbers are unique and without gaps, every run
/// succeeds, and every log is complete and the same through both replicas.
/// </summary>
[Trait("Database", "postgres")]
[Trait("Category", "EndToEnd")]
public sealed partial class ReplicaKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Lines = 30;
    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script:
              - for i in $(seq 1 30); do echo "line $i of the build"; done
              - sleep 1
              - echo "build done"

        """;

    private readonly TempDirectory _directory = new("pipeliner-replica-kill-");

    public void Dispose() => _directory.Dispose();

    private sealed record Sent(string Replica, string DeliveryId, HttpStatusCode? Status, string Answer);

    [Fact]
    public async Task Webhooks_EachBecomeOneFinishedRunWithItsWholeLog_WhenAReplicaIsKilledMidBurstAndStartedAgain()
    {
        await DockerProbe.EnsureEngineAsync();
        await using var database = await TestPostgres.CreateDatabaseAsync("replicakill");
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipeline);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Storage:Provider=database",
        ];
        await using var replicaA = await ServerProcess.StartAsync(_directory.Combine("a"), agentCapacity: 0, settings: settings);
        var replicaB = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 0, settings: settings);
        try
        {
            using var a = replicaA.Client();
            using var b = replicaB.Client();
            using (var created = await a.PostProjectAsync("shop", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
            var token = await RegistrationTokenAsync(a);
            var label = $"kill-{Guid.NewGuid():N}"[..13];
            await using var agentA = AgentProcess.Start(replicaA.BaseAddress, token, $"{label}-a", "linux,docker", _directory.Combine("agent-a"), capacity: 2);
            await using var agentB = AgentProcess.Start(replicaB.BaseAddress, token, $"{label}-b", "linux,docker", _directory.Combine("agent-b"), capacity: 2);
            await agentA.WaitForOutputAsync("is waiting for jobs");
            await agentB.WaitForOutputAsync("is waiting for jobs");

            var commit = repository.Head();
            var sent = new List<Sent>();
            var clock = Stopwatch.StartNew();
            await SendAsync(sent, [("a", a), ("b", b)], commit, count: 10);
            // kill -9 while B holds deliveries it accepted (processing, queued) and its agent runs jobs.
            await replicaB.KillAsync();
            await SendAsync(sent, [("a", a), ("b", b)], commit, count: 4);
            replicaB = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 0, settings: settings, port: replicaB.Port);
            output.WriteLine($"B killed and started again after {sent.Count} deliveries, {clock.Elapsed.TotalSeconds:F1} s");
            await SendAsync(sent, [("a", a), ("b", b)], commit, count: 10);

            var accepted = sent.Where(s => s.Status == HttpStatusCode.Accepted).ToList();
            output.WriteLine($"{sent.Count} sent: " + string.Join(", ", sent.GroupBy(s => s.Status?.ToString() ?? "no answer").Select(g => $"{g.Count()} × {g.Key}")));
            Assert.True(accepted.Count >= 15, $"only {accepted.Count} deliveries accepted:\n{string.Join("\n", sent)}");
            Assert.All(sent.Where(s => s.Status is not null), s => Assert.Equal(HttpStatusCode.Accepted, s.Status));

            // Every accepted delivery made a run, through whichever replica processed it.
            var deliveries = await Poll.UntilAsync(() => DeliveriesAsync(a), all => accepted.All(s => all.TryGetValue(s.DeliveryId, out var d) && d.RunId is not null),
                "every accepted delivery to have its run", TimeSpan.FromSeconds(90));
            var runIds = deliveries.Values.Where(d => d.RunId is not null).Select(d => d.RunId!.Value).ToList();
            Assert.Equal(runIds.Count, runIds.Distinct().Count());
            var runs = await RunsAsync(a);
            // Exactly one run per delivery that made one; besides the accepted ones, only a delivery whose answer the kill cut off.
            Assert.Equal(runIds.Order(), runs.Select(r => r.Id).Order());
            var unanswered = sent.Count(s => s.Status is null);
            Assert.True(runs.Count - accepted.Count <= unanswered,
                $"{runs.Count} runs for {accepted.Count} accepted deliveries ({unanswered} unanswered)");
            Assert.Equal(Enumerable.Range(1, runs.Count), runs.Select(r => r.Number).Order());

            var finished = new List<RunView>();
            foreach (var run in runs)
                finished.Add(await ((run.Id % 2 == 0) ? a : b).WaitForFinishAsync(run.Id, TimeSpan.FromSeconds(120)));
            output.WriteLine($"{finished.Count} runs finished {clock.Elapsed.TotalSeconds:F1} s after the first delivery; agents: " +
                             string.Join(", ", finished.SelectMany(r => r.Jobs).SelectMany(j => j.Attempts).GroupBy(t => t.Agent).Select(g => $"{g.Key} {g.Count()}")));
            Assert.All(finished, run => Assert.True(run.Status == "succeeded",
                $"run {run.Id} #{run.Number}: {run.Status}: {string.Join("; ", run.Jobs.SelectMany(j => j.Attempts).Select(t => $"{t.Status} {t.Agent} {t.Message}"))}\nA:\n{replicaA.Output}"));

            foreach (var run in finished)
            {
                var attempt = run.Job("build").Attempts.Count;
                var throughA = await a.LogAsync(run.Id, "build", attempt);
                var throughB = await b.LogAsync(run.Id, "build", attempt);
                Assert.Equal(throughA, throughB);
                var shown = throughA.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..]).ToList();
                Assert.Equal(Enumerable.Range(1, Lines).Select(i => $"line {i} of the build"), shown.Where(l => BuildLine().IsMatch(l)));
                Assert.Equal("build done", shown.Last(l => !l.StartsWith("pipeliner:", StringComparison.Ordinal)));
            }
        }
        finally
        {
            await replicaB.DisposeAsync();
        }
    }

    /// <summary>Sends <paramref name="count"/> pushes, to each replica in turn; a replica that is down answers nothing.</summary>
    private static async Task SendAsync(List<Sent> sent, (string Name, HttpClient Client)[] replicas, string commit, int count)
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        for (var i = 0; i < count; i++)
        {
            var (name, client) = replicas[sent.Count % replicas.Length];
            var payload = JsonNode.Parse(WebhookDelivery.Rewritten(fixture, commit))!.AsObject();
            payload["ref"] = "refs/heads/main";
            var delivery = Guid.NewGuid().ToString();
            try
            {
                using var request = WebhookDelivery.Request("shop", fixture, System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString()), Secrets.Webhook, delivery);
                using var response = await client.SendAsync(request);
                sent.Add(new Sent(name, delivery, response.StatusCode, await response.Content.ReadAsStringAsync()));
            }
            catch (HttpRequestException e)
            {
                sent.Add(new Sent(name, delivery, null, e.Message));
            }
        }
    }

    private static async Task<Dictionary<string, DeliveryView>> DeliveriesAsync(HttpClient client)
    {
        var all = new List<DeliveryView>();
        for (var page = 1; ; page++)
        {
            var view = (await client.GetFromJsonAsync<DeliveryPageView>($"/api/projects/shop/deliveries?page={page}", Api.Json))!;
            all.AddRange(view.Items);
            if (all.Count >= view.Total || view.Items.Count == 0) break;
        }

        return all.Where(d => d.DeliveryId is not null).ToDictionary(d => d.DeliveryId!);
    }

    private static async Task<List<RunSummaryView>> RunsAsync(HttpClient client)
    {
        var view = (await client.GetFromJsonAsync<PageView>("/api/projects/shop/runs?pageSize=100", Api.Json))!;
        Assert.True(view.Total <= 100, $"{view.Total} runs");
        return view.Items;
    }

    private static async Task<string> RegistrationTokenAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/agents/tokens", new { name = "replica-kill" });
        await Api.ExpectAsync(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    [GeneratedRegex("^line [0-9]+ of the build$")]
    private static partial Regex BuildLine();
}
