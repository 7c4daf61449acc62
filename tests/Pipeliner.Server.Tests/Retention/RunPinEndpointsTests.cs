using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Retention;

/// <summary>
/// <c>POST /api/runs/{id}/pin</c> and <c>/unpin</c> on an unfinished run whose aggregate the coordinator already holds
/// (a single server keeps it between changes): the pin is written beside the coordinator, so the run's next change must
/// read it again, or the status it publishes to live viewers says the pin is as it was before.
/// </summary>
public abstract class RunPinEndpointsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly AgentInfo Agent = new("pin-agent", ["linux", "docker"], 8);

    private IAgentProtocol Protocol => app.Services.GetRequiredService<IAgentProtocol>();

    [Fact]
    public async Task Pin_PublishesTheRunPinned_WhenItsAggregateWasHeldBeforeThePin()
    {
        var (client, id) = await WaitingRunAsync();
        using var _ = client;
        // The change that starts the job leaves the run's aggregate held.
        var work = await ClaimAsync(id);

        await SetPinAsync(client, id, "pin");

        using (var watch = await WatchAsync(id))
        {
            await SucceedAsync(work.Key);
            Assert.True(await PinnedInStatusAsync(watch, "succeeded"));
        }

        Assert.True((await client.GetRunAsync(id)).Pinned);
    }

    [Fact]
    public async Task Unpin_PublishesTheRunUnpinned_WhenItsAggregateWasHeldWhilePinned()
    {
        var (client, id) = await WaitingRunAsync();
        using var _ = client;
        await SetPinAsync(client, id, "pin");
        AgentWork work;
        using (var watch = await WatchAsync(id))
        {
            work = await ClaimAsync(id);
            Assert.True(await PinnedInStatusAsync(watch, "running"), "the change that started the job published the run unpinned");
        }

        await SetPinAsync(client, id, "unpin");

        using (var watch = await WatchAsync(id))
        {
            await SucceedAsync(work.Key);
            Assert.False(await PinnedInStatusAsync(watch, "succeeded"));
        }

        Assert.False((await client.GetRunAsync(id)).Pinned);
    }

    /// <summary>A run of one job waiting for an agent (none is running: the test is the agent).</summary>
    private async Task<(HttpClient Client, long RunId)> WaitingRunAsync()
    {
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "pending");
        return (client, id);
    }

    private async Task<AgentWork> ClaimAsync(long runId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var work = await Protocol.NextAsync(Agent, deadline - DateTime.UtcNow, CancellationToken.None);
            if (work is null) break;
            if (work.Key.RunId == runId) return work;
            await SucceedAsync(work.Key); // another test's run
        }

        throw new TimeoutException($"run {runId}'s job was never handed out");
    }

    private static async Task SetPinAsync(HttpClient client, long runId, string action)
    {
        using var response = await client.PostAsync($"/api/runs/{runId}/{action}", null);
        await Api.ExpectAsync(response, HttpStatusCode.OK);
    }

    private Task<RunEventSubscription> WatchAsync(long runId) =>
        app.Services.GetRequiredService<IRunEvents>().SubscribeAsync(runId, 0, CancellationToken.None);

    /// <summary>Whether the first status event that gives the run <paramref name="status"/> says it is pinned.</summary>
    private static async Task<bool> PinnedInStatusAsync(RunEventSubscription watch, string status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var seen in watch.Backlog)
            if (PinnedIn(seen, status) is { } pinned) return pinned;
        await foreach (var seen in watch.Live.ReadAllAsync(timeout.Token))
            if (PinnedIn(seen, status) is { } pinned) return pinned;
        throw new InvalidOperationException($"the run's events ended before a status '{status}'");
    }

    private static bool? PinnedIn(RunEvent seen, string status)
    {
        if (seen.Type != IRunEvents.StatusType) return null;
        using var run = JsonDocument.Parse(seen.Data);
        return run.RootElement.GetProperty("status").GetString() == status ? run.RootElement.GetProperty("pinned").GetBoolean() : null;
    }

    private Task SucceedAsync(AttemptKey key) =>
        Protocol.DoneAsync(key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);
}

/// <summary>The tests above on SQLite, where the coordinator holds a run's aggregate between changes.</summary>
public sealed class RunPinEndpointsTests(AppWithoutAgent app) : RunPinEndpointsTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL, where every change reads the run again (replicas).</summary>
[Trait("Database", "postgres")]
public sealed class RunPinEndpointsOnPostgresTests(AppWithoutAgentOnPostgres app) : RunPinEndpointsTests<AppWithoutAgentOnPostgres>(app);
