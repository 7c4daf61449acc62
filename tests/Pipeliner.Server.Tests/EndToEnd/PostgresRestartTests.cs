using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// PostgreSQL restarted while two replicas serve requests and run jobs: requests during the outage answer 503
/// "database unavailable" (ProblemDetails), never 500; afterwards both replicas serve again, and every run made before,
/// during or just after the outage finishes.
/// On a cluster of this test's own: stopping the shared one would break every other test.
/// </summary>
[Trait("Database", "postgres")]
[Trait("Category", "Reliability")]
public sealed class PostgresRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-pgrestart-");

    public void Dispose() => _directory.Dispose();

    /// <summary>How long after PostgreSQL's return every run made around the outage must have finished.</summary>
    private static readonly TimeSpan FinishBound = TimeSpan.FromSeconds(90);

    private sealed record Outcome(string Replica, string Phase, string Request, HttpStatusCode? Status, string? ContentType, string Body, TimeSpan Took);

    [Fact]
    public async Task Replicas_Answer503DuringTheOutageAndCarryOn_WhenPostgresRestartsUnderLoad()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync(_directory.Combine("postgres"));
        var connectionString = await cluster.CreateDatabaseAsync("pipeliner");
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), """
            stages: [build]
            defaults: { image: alpine:3 }
            jobs:
              one: { stage: build, script: ["echo one", "sleep 0.3"] }
              two: { stage: build, script: ["echo two"] }

            """);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={connectionString}", "--Pipeliner:Agent:Backend=shell",
        ];
        await using var first = await ServerProcess.StartAsync(_directory.Combine("a"), agentCapacity: 2, settings: settings);
        await using var second = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 2, settings: settings);
        using var a = first.Client();
        using var b = second.Client();
        using (var created = await a.PostProjectAsync("shared", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        await a.WaitForFinishAsync(await a.TriggerAsync("shared", new { branch = "main" }), TimeSpan.FromMinutes(2));

        var outcomes = new ConcurrentQueue<Outcome>();
        var accepted = new ConcurrentQueue<long>();
        var phase = "before";
        using var stop = new CancellationTokenSource();
        async Task LoadAsync(HttpClient client, string replica)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var current = phase;
                // Runs are made before, during and just after the outage; afterwards only read, so the queue drains.
                var trigger = i % 3 == 0 && current != "after";
                var request = trigger ? "POST /api/projects/shared/runs" : "GET /api/projects/shared/runs";
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = trigger
                        ? await client.PostAsJsonAsync("/api/projects/shared/runs", new { branch = "main" })
                        : await client.GetAsync("/api/projects/shared/runs");
                    var body = await response.Content.ReadAsStringAsync();
                    outcomes.Enqueue(new Outcome(replica, current, request, response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, clock.Elapsed));
                    if (trigger && response.StatusCode == HttpStatusCode.Created)
                        accepted.Enqueue(JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64());
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
                {
                    outcomes.Enqueue(new Outcome(replica, current, request, null, null, e.Message, clock.Elapsed));
                }

                await Task.Delay(40);
            }
        }

        var load = Task.WhenAll(Task.Run(() => LoadAsync(a, "a")), Task.Run(() => LoadAsync(b, "b")));
        await Task.Delay(TimeSpan.FromSeconds(2));
        phase = "outage";
        await cluster.StopAsync();
        var down = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(4));
        await cluster.StartAgainAsync();
        var back = Stopwatch.StartNew();
        phase = "restarted";
        await Task.Delay(TimeSpan.FromSeconds(3));
        phase = "after";
        // Until each replica has answered a few requests made after the restart (a request may have waited for a connection).
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60)
               && new[] { "a", "b" }.Any(replica => outcomes.Count(o => o.Replica == replica && o.Phase == "after") < 5))
            await Task.Delay(200);
        await stop.CancelAsync();
        await load;

        var all = outcomes.ToList();
        foreach (var group in all.GroupBy(o => o.Phase))
        {
            output.WriteLine($"{group.Key}: {group.Count()} requests, " +
                             string.Join(", ", group.GroupBy(o => o.Status?.ToString() ?? "no answer").Select(s => $"{s.Count()} × {s.Key}")) +
                             $", slowest {group.Max(o => o.Took).TotalMilliseconds:F0} ms");
        }

        string Describe(IEnumerable<Outcome> some) => string.Join("\n", some.Take(10).Select(o => $"{o.Replica} {o.Phase} {o.Request}: {(int?)o.Status} in {o.Took.TotalMilliseconds:F0} ms {o.Body[..Math.Min(300, o.Body.Length)]}"));
        // Never a 500 (or any 5xx but 503), never a request left without an answer: the server process always answers.
        var failures = all.Where(o => o.Status is null || ((int)o.Status >= 500 && o.Status != HttpStatusCode.ServiceUnavailable)).ToList();
        Assert.True(failures.Count == 0, $"answers other than 2xx/503 ({down.Elapsed} outage):\n{Describe(failures)}");
        var unavailable = all.Where(o => o.Status == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.True(unavailable.Count(o => o.Phase == "outage") > 0, $"no 503 during the outage:\n{Describe(all.Where(o => o.Phase == "outage"))}");
        Assert.All(unavailable, o =>
        {
            Assert.Equal("application/problem+json", o.ContentType);
            var problem = JsonDocument.Parse(o.Body).RootElement;
            Assert.Equal(503, problem.GetProperty("status").GetInt32());
            Assert.Equal("Database unavailable", problem.GetProperty("title").GetString());
            Assert.StartsWith("database unavailable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        });
        // Both replicas reconnected: in the last phase every answer of each is a success.
        foreach (var replica in new[] { "a", "b" })
        {
            var after = all.Where(o => o.Replica == replica && o.Phase == "after").ToList();
            Assert.True(after.Count >= 5, $"replica {replica} answered {after.Count} requests in the minute after the restart; the last answers:\n{Describe(all.Where(o => o.Replica == replica).TakeLast(10))}");
            Assert.True(after.All(o => o.Status is HttpStatusCode.OK or HttpStatusCode.Created), $"replica {replica} after the restart:\n{Describe(after.Where(o => o.Status is not (HttpStatusCode.OK or HttpStatusCode.Created)))}");
        }

        Assert.True(accepted.Count > 0, "no run was accepted");
        await AssertEveryRunFinishesAsync(a, b, accepted.ToHashSet(), back);
        output.WriteLine("revived by the stalled-run recovery: " +
                         string.Join("; ", (first.Output + second.Output).Split('\n').Where(l => l.Contains("stalled (", StringComparison.Ordinal)).Select(l => l.Trim())));
    }

    /// <summary>
    /// Every run the replicas made — those answered 201 and those stored by a request the outage cut short (503 after the
    /// commit) — finishes within <see cref="FinishBound"/> of PostgreSQL's return, whichever replica is asked.
    /// </summary>
    private async Task AssertEveryRunFinishesAsync(HttpClient a, HttpClient b, IReadOnlySet<long> accepted, Stopwatch back)
    {
        List<RunView> unfinished = [];
        var listed = new List<long>();
        while (true)
        {
            listed = await AllRunIdsAsync(a);
            unfinished = [];
            foreach (var id in listed)
            {
                var run = await (id % 2 == 0 ? a : b).GetRunAsync(id);
                if (!run.IsFinished) unfinished.Add(run);
            }

            if (unfinished.Count == 0 || back.Elapsed > FinishBound) break;
            await Task.Delay(500);
        }

        output.WriteLine($"{listed.Count} runs ({accepted.Count} answered 201); all finished {back.Elapsed.TotalSeconds:F1} s after PostgreSQL was back");
        Assert.Superset(accepted.ToHashSet(), listed.ToHashSet());
        Assert.True(unfinished.Count == 0,
            $"{unfinished.Count} of {listed.Count} runs unfinished {back.Elapsed.TotalSeconds:F0} s after PostgreSQL was back:\n" +
            string.Join("\n", unfinished.Take(10).Select(run => $"run {run.Id} #{run.Number} {run.Status} (201: {accepted.Contains(run.Id)}): " +
                string.Join("; ", run.Jobs.Select(j => $"{j.Id} {j.Status} '{j.Reason}' attempts [{string.Join(", ", j.Attempts.Select(t => $"{t.Number} {t.Status} {t.Agent} {t.Message}"))}]")))));
        var runs = await Task.WhenAll(listed.Select(id => b.GetRunAsync(id)));
        var lost = runs.SelectMany(r => r.Jobs.SelectMany(j => j.Attempts.Where(t => t.Cause == "lost").Select(t => $"run {r.Id} {j.Id} #{t.Number}: {t.Message}"))).ToList();
        output.WriteLine($"{lost.Count} attempts lost: {string.Join("; ", lost)}");
        Assert.All(runs, run => Assert.True(run.Status == "succeeded", $"run {run.Id}: {run.Status}"));
    }

    private static async Task<List<long>> AllRunIdsAsync(HttpClient client)
    {
        var ids = new List<long>();
        for (var page = 1; ; page++)
        {
            var view = (await client.GetFromJsonAsync<PageView>($"/api/projects/shared/runs?page={page}&pageSize=100", Api.Json))!;
            ids.AddRange(view.Items.Select(r => r.Id));
            if (ids.Count >= view.Total || view.Items.Count == 0) return ids;
        }
    }
}
