using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// Two server processes (replicas) with separate data directories on one PostgreSQL database and
/// <c>Pipeliner:Storage:Provider=database</c>: nothing but the database connects them. Replica A serves the API only;
/// replica B's embedded agent runs the jobs. A secret stored through A is decrypted by the job B claims and masked on
/// A's reads; B's log is read, tailed and searched through A while the job runs; A's event stream shows B's log lines
/// and status changes, and B's stream shows a change made through A, with ids that resume on either replica.
/// </summary>
[Trait("Database", "postgres")]
[Trait("Category", "EndToEnd")]
public sealed class SharedReplicaStateTests : IDisposable
{
    private const string Secret = "s3cr3t-Value-4Fj8Qp";
    private readonly TempDirectory _directory = new("pipeliner-shared-state-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Replicas_ShareSecretsLogsAndEvents_ThroughTheDatabaseAlone()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("sharedstate");
        var gate = _directory.Combine("gate");
        var pipeline = $$"""
            stages: [build, ship]
            defaults: { image: alpine:3 }
            jobs:
              build:
                stage: build
                secrets: [DEPLOY_TOKEN]
                script:
                  - echo "token is $DEPLOY_TOKEN"
                  - test "$DEPLOY_TOKEN" = "{{Secret}}" && echo "secret decrypted on the claiming replica"
                  - echo "first live line"
                  - while [ ! -f '{{gate}}' ]; do sleep 0.1; done
                  - echo "after the gate"
              ship:
                stage: ship
                needs: [build]
                when: manual
                script: ["echo shipped"]

            """;
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), pipeline);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Storage:Provider=database", "--Pipeliner:Agent:Backend=shell",
        ];
        await using var replicaA = await ServerProcess.StartAsync(_directory.Combine("a"), agentCapacity: 0, settings: settings);
        await using var replicaB = await ServerProcess.StartAsync(_directory.Combine("b"), agentCapacity: 1, settings: settings);
        using var a = replicaA.Client();
        using var b = replicaB.Client();
        using (var created = await a.PostProjectAsync("shared", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        await a.SetSecretAsync("shared", "DEPLOY_TOKEN", Secret);

        var id = await a.TriggerAsync("shared", new { branch = "main" });
        await using var eventsOnA = await ConnectAsync(a, id);
        await using var eventsOnB = await ConnectAsync(b, id);

        // B's job writes its log into the database: A streams, reads, tails and searches it while the job still runs.
        var seenOnA = await eventsOnA.ReadUntilAsync(e => IsLogLine(e, "first live line"), "on A with B's log line", TimeSpan.FromMinutes(2));
        Assert.Contains(seenOnA, e => e.Type == "status" && JobStatusOf(e, "build") == "running");
        Assert.Contains(seenOnA, e => IsLogLine(e, "token is ***"));
        Assert.DoesNotContain(seenOnA, e => e.Data.Contains(Secret, StringComparison.Ordinal));
        using (var partial = await a.GetAsync($"/api/runs/{id}/jobs/build/log"))
        {
            await Api.ExpectAsync(partial, HttpStatusCode.OK);
            Assert.Equal("false", partial.Headers.GetValues("X-Log-Complete").Single());
            var text = await partial.Content.ReadAsStringAsync();
            Assert.Contains("Z token is ***\n", text, StringComparison.Ordinal);
            Assert.Contains("Z secret decrypted on the claiming replica\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            var next = long.Parse(partial.Headers.GetValues("X-Next-Offset").Single(), CultureInfo.InvariantCulture);
            Assert.Equal(text.Length, next);

            using var found = await a.GetAsync($"/api/runs/{id}/jobs/build/log/search?q=FIRST%20LIVE");
            await Api.ExpectAsync(found, HttpStatusCode.OK);
            var matches = JsonDocument.Parse(await found.Content.ReadAsStringAsync()).RootElement.GetProperty("matches");
            // The line itself (the script's trace shows the command too).
            Assert.Contains(matches.EnumerateArray(), m => m.GetProperty("text").GetString() == "first live line");

            await File.WriteAllTextAsync(gate, "go");
            // Tailing from where the read stopped gets exactly the rest.
            await Poll.UntilAsync(async () =>
            {
                using var tail = await a.GetAsync($"/api/runs/{id}/jobs/build/log?offset={next}");
                return await tail.Content.ReadAsStringAsync();
            }, rest => rest.Contains("Z after the gate\n", StringComparison.Ordinal), "the tail on A to have the line after the gate");
        }

        var built = await a.WaitForRunAsync(id, r => r.FinishedWithManualJobs, "to finish with the manual job", TimeSpan.FromMinutes(2));
        Assert.Equal("succeeded", built.Job("build").Status);
        var whole = await a.LogAsync(id, "build");
        Assert.Equal(whole, await b.LogAsync(id, "build"));
        Assert.Empty(Directory.GetFiles(_directory.Combine("b"), "*.log", SearchOption.AllDirectories));

        // A change made through A (the approval) reaches B's stream, and B's agent runs the job.
        var lastOnB = (await eventsOnB.ReadUntilAsync(e => e.Type == "status" && JobStatusOf(e, "build") == "succeeded", "on B with the build's end"))
            .Last(e => e.Id is not null).Id!.Value;
        using (var approved = await a.PostAsync($"/api/runs/{id}/jobs/ship/approve", content: null)) await Api.ExpectAsync(approved, HttpStatusCode.Accepted);
        var afterApproval = await eventsOnB.ReadUntilAsync(e => IsLogLine(e, "shipped"), "on B with the approved job's line");
        Assert.Contains(afterApproval, e => e.Type == "status" && JobStatusOf(e, "ship") is "queued" or "running");
        Assert.Equal(afterApproval.Select(e => e.Id), afterApproval.Select(e => e.Id).Order());

        // An id seen on B resumes on A: what came after it, nothing before.
        await using var resumed = await ConnectAsync(a, id, lastOnB);
        var replay = await resumed.ReadUntilAsync(e => IsLogLine(e, "shipped"), "replayed on A after B's id");
        Assert.All(replay.Where(e => e.Id is not null), e => Assert.True(e.Id > lastOnB, $"{e.Id} is not after {lastOnB}"));
        Assert.Equal(afterApproval.Where(e => e.Type == "log").Select(e => e.Data), replay.Where(e => e.Type == "log").Select(e => e.Data));

        // The run ends at the coordinator's next advance after the job's end: wait for both.
        var shipped = await b.WaitForRunAsync(id, r => r.Job("ship").Status == "succeeded" && r.Status is not ("running" or "queued"),
            "the approved job to succeed and the run to end");
        Assert.Equal("succeeded", shipped.Status);
        Assert.DoesNotContain(" 500 ", replicaA.Output + replicaB.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplicaStart_LeavesAnotherLiveReplicasJobRunning_WhenItStartsAndRestartsMidJob()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("replicastart");
        var gate = _directory.Combine("gate-start");
        var pipeline = $$"""
            stages: [build]
            defaults: { image: alpine:3 }
            jobs:
              build:
                stage: build
                script: ["echo started", "while [ ! -f '{{gate}}' ]; do sleep 0.1; done", "echo finished"]

            """;
        var repository = GitRepository.WithPipeline(_directory.Combine("repo-start"), pipeline);
        string[] settings =
        [
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Storage:Provider=database", "--Pipeliner:Agent:Backend=shell",
        ];
        await using var replicaA = await ServerProcess.StartAsync(_directory.Combine("start-a"), agentCapacity: 1, settings: settings);
        using var a = replicaA.Client();
        using (var created = await a.PostProjectAsync("busy", repository.Path)) await Api.ExpectAsync(created, HttpStatusCode.Created);
        var id = await a.TriggerAsync("busy", new { branch = "main" });
        await a.WaitForJobAsync(id, "build", "running", TimeSpan.FromMinutes(2));
        await Poll.UntilAsync(() => a.LogAsync(id, "build"), log => log.Contains("Z started\n", StringComparison.Ordinal), "the job to start on A");
        var workspaces = Directory.GetDirectories(Path.Combine(_directory.Combine("start-a"), "workspaces"));

        // B starts (recovery: lease sweep, orphan sweep, advancing unfinished runs), is killed, and starts again.
        await using (var replicaB = await ServerProcess.StartAsync(_directory.Combine("start-b"), agentCapacity: 0, settings: settings))
            await replicaB.KillAsync();
        await using var restartedB = await ServerProcess.StartAsync(_directory.Combine("start-b"), agentCapacity: 0, settings: settings);
        using var b = restartedB.Client();

        var during = await b.GetRunAsync(id);
        Assert.Equal(("running", 1), (during.Job("build").Status, during.Job("build").Attempts.Count));
        Assert.All(workspaces, w => Assert.True(Directory.Exists(w), $"{w} was removed"));
        await File.WriteAllTextAsync(gate, "go");
        var run = await b.WaitForFinishAsync(id, TimeSpan.FromMinutes(2));
        Assert.True(run.Status == "succeeded", $"run {run.Status}\nA:\n{replicaA.Output}\nB:\n{restartedB.Output}");
        Assert.Single(run.Job("build").Attempts);
        Assert.Contains("Z finished\n", await b.LogAsync(id, "build"), StringComparison.Ordinal);
    }

    private static async Task<ServerSentEvents> ConnectAsync(HttpClient client, long id, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } last) request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return new ServerSentEvents(await response.Content.ReadAsStreamAsync());
    }

    private static bool IsLogLine(ServerSentEvent item, string text) =>
        item.Type == "log" && JsonDocument.Parse(item.Data).RootElement.GetProperty("text").GetString() == text;

    private static string? JobStatusOf(ServerSentEvent item, string job) =>
        JsonDocument.Parse(item.Data).RootElement.GetProperty("jobs").EnumerateArray()
            .Where(j => j.GetProperty("id").GetString() == job).Select(j => j.GetProperty("status").GetString()).SingleOrDefault();
}
