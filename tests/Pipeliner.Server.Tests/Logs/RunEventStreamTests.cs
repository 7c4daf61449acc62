using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Logs;

/// <summary><c>GET /api/runs/{id}/events</c>: status changes and log lines as Server-Sent Events, resumable with Last-Event-ID.</summary>
public abstract class RunEventStreamTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    // The blocking manual job holds the run until the test is connected: nothing it must see can happen before.
    private const string Gated = """
        stages: [deploy]
        defaults: { image: alpine:3 }
        jobs:
          deploy:
            stage: deploy
            when: manual
            blocking: true
            script: ["echo live-line-one", "echo live-line-two", "sleep 300"]

        """;

    private async Task<ServerSentEvents> ConnectAsync(HttpClient client, long id, long? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is { } last) request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new ServerSentEvents(await response.Content.ReadAsStreamAsync());
    }

    private async Task<(HttpClient Client, long RunId)> GatedRunAsync()
    {
        var repository = app.NewRepository(Gated);
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        await client.WaitForRunAsync(id, r => r.Status == "waiting", "to wait for approval");
        return (client, id);
    }

    private static string StatusOf(ServerSentEvent item) => JsonDocument.Parse(item.Data).RootElement.GetProperty("status").GetString()!;

    private static string? JobStatusOf(ServerSentEvent item, string job) =>
        JsonDocument.Parse(item.Data).RootElement.GetProperty("jobs").EnumerateArray()
            .Where(j => j.GetProperty("id").GetString() == job).Select(j => j.GetProperty("status").GetString()).SingleOrDefault();

    private static bool IsDeployRunning(ServerSentEvent item) => item.Type == "status" && JobStatusOf(item, "deploy") == "running";

    private static bool IsLogLine(ServerSentEvent item, string text) =>
        item.Type == "log" && JsonDocument.Parse(item.Data).RootElement.GetProperty("text").GetString() == text;

    [Fact]
    public async Task Events_StreamStatusChangesAndLogLines_WhileAJobRuns()
    {
        var (client, id) = await GatedRunAsync();
        using var _ = client;
        await using var events = await ConnectAsync(client, id);
        var current = await events.NextAsync(CancellationToken.None);
        Assert.Equal(("status", null, "waiting"), (current!.Type, current.Id, StatusOf(current)));

        (await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null)).Dispose();

        var seen = await events.ReadUntilAsync(e => IsLogLine(e, "live-line-two"), "with the job's second log line");
        // A watched run's status goes out at most every 250 ms, so the lines may come before the status that says "running".
        if (!seen.Any(IsDeployRunning))
            seen = [.. seen, .. await events.ReadUntilAsync(IsDeployRunning, "saying the job runs")];
        Assert.Contains(seen, IsDeployRunning);
        Assert.Contains(seen, e => IsLogLine(e, "live-line-one"));
        var log = JsonDocument.Parse(seen.First(e => IsLogLine(e, "live-line-one")).Data).RootElement;
        Assert.Equal(("deploy", 1), (log.GetProperty("job").GetString(), log.GetProperty("attempt").GetInt32()));
        Assert.All(seen, e => Assert.NotNull(e.Id));
        Assert.Equal(seen.Select(e => e.Id), seen.Select(e => e.Id).Order());

        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();
        var final = await events.ReadUntilAsync(e => e.Type == "status" && StatusOf(e) == "canceled", "saying the run was canceled");
        Assert.Equal("canceled", JobStatusOf(final[^1], "deploy"));
    }

    [Fact]
    public async Task Events_ResumeAfterTheLastEventSeen_WhenReconnectingWithLastEventId()
    {
        var (client, id) = await GatedRunAsync();
        using var _ = client;
        long lastSeen;
        List<ServerSentEvent> seenAfterLastSeen;
        await using (var events = await ConnectAsync(client, id))
        {
            (await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null)).Dispose();
            var seen = await events.ReadUntilAsync(e => IsLogLine(e, "live-line-two"), "with the second log line");
            // The client says it saw up to the first line: what came after it must come again, with the same ids.
            lastSeen = seen.First(e => IsLogLine(e, "live-line-one")).Id!.Value;
            seenAfterLastSeen = [.. seen.Where(e => e.Id > lastSeen)];
        }

        // While nobody is connected the run is canceled: those events must not be lost.
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();
        await client.WaitForRunAsync(id, r => r.Status == "canceled", "to be canceled");

        await using var resumed = await ConnectAsync(client, id, lastSeen);
        var current = await resumed.NextAsync(CancellationToken.None);
        Assert.Equal(("status", null, "canceled"), (current!.Type, current.Id, StatusOf(current)));
        var missed = await resumed.ReadUntilAsync(e => e.Type == "status" && StatusOf(e) == "canceled", "replaying the cancel");
        Assert.True(missed[0].Id > lastSeen, $"resumed at {missed[0].Id} after {lastSeen}");
        Assert.Equal(missed.Select(e => e.Id), missed.Select(e => e.Id).Order());
        // Nothing in between was lost: every log line after the last one seen comes again. Of the statuses only the newest
        // is kept for a reconnecting client (each is the whole run), so their ids may leave gaps.
        foreach (var line in seenAfterLastSeen.Where(e => e.Type == "log"))
            Assert.Contains(missed, e => (e.Id, e.Type, e.Data) == (line.Id, line.Type, line.Data));
        Assert.DoesNotContain(missed, e => IsLogLine(e, "live-line-one"));
    }

    [Fact]
    public async Task Events_Return404Problem_WhenTheRunDoesNotExist()
    {
        using var client = app.Client();

        using var response = await client.GetAsync("/api/runs/7654321/events", HttpCompletionOption.ResponseHeadersRead);

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Events_Return401_WhenNoTokenIsSent()
    {
        using var client = app.Client(token: null);

        using var response = await client.GetAsync("/api/runs/1/events", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

/// <summary>The tests above on SQLite: events in memory.</summary>
public sealed class RunEventStreamTests(AppWithAgent app) : RunEventStreamTests<AppWithAgent>(app);

/// <summary>The tests above on PostgreSQL: events in the database, rung through LISTEN/NOTIFY.</summary>
[Trait("Database", "postgres")]
public sealed class RunEventStreamOnPostgresTests(AppWithAgentOnPostgres app) : RunEventStreamTests<AppWithAgentOnPostgres>(app);
