using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// What an idle server's housekeeping and agents' polls still do: a housekeeping pass with no job in flight is one query
/// and does nothing else; a job queued, pending or running lets it sweep, recover and reword as before. On one process a
/// poll looks again every third of <c>OfflineAfter</c>, and what makes a job claimable outside a run's change (an agent
/// enabled) rings the dispatch signal, so an idle pass waits for it, an idle poll's wake-up without it claims nothing, and
/// only the first embedded worker looks again at all.
/// </summary>
public sealed class AgentHousekeepingTests(AgentHousekeepingTests.App app) : IClassFixture<AgentHousekeepingTests.App>
{
    /// <summary>No embedded agent: a run's job stays pending until the test changes it.</summary>
    public sealed class App() : PipelinerApp(agentCapacity: 0);

    private async Task<bool> PassAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AgentHousekeepingPass>().RunAsync(CancellationToken.None);
    }

    private Task SetJobsAsync(long runId, JobStatus status, bool ready) => app.WithDbAsync(db =>
        db.Jobs.Where(j => j.RunId == runId)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Status, status.ToName()).SetProperty(j => j.Ready, ready)));

    [Fact]
    public async Task RunAsync_DoesNothing_OnlyWhenEveryJobFinished()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "pending");

        Assert.True(await PassAsync(), "a pass skipped a ready job");
        await SetJobsAsync(id, JobStatus.Pending, ready: false);
        Assert.True(await PassAsync(), "a pass skipped a pending job (a stalled claim is one)");
        await SetJobsAsync(id, JobStatus.Queued, ready: false);
        Assert.True(await PassAsync(), "a pass skipped a queued job (a run never advanced is one)");
        await SetJobsAsync(id, JobStatus.Running, ready: false);
        Assert.True(await PassAsync(), "a pass skipped a running job (an expired lease is one)");

        await SetJobsAsync(id, JobStatus.Succeeded, ready: false);
        Assert.False(await PassAsync(), "a pass ran its sweeps with every job finished");
        await using var scope = app.Services.CreateAsyncScope();
        Assert.False(await scope.ServiceProvider.GetRequiredService<AgentHousekeepingPass>().AnyJobInFlightAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(false, 45, 15)]
    [InlineData(false, 6, 5)]
    [InlineData(false, 600, 15)]
    [InlineData(true, 45, 5)]
    [InlineData(true, 600, 5)]
    public void RecheckIntervalOf_IsAThirdOfOfflineAfterBetween5And15Seconds_OnlyWithoutReplicas(bool replicas, int offlineAfterSeconds, int expectedSeconds)
    {
        var agent = new AgentOptions { OfflineAfter = TimeSpan.FromSeconds(offlineAfterSeconds) };

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), AgentDispatch.RecheckIntervalOf(replicas, agent));
    }

    [Fact]
    public async Task UpdateAgent_RingsTheDispatchSignal_WhenTheAgentIsEnabled()
    {
        using var admin = app.Client();
        var name = "enabled-" + Guid.NewGuid().ToString("N")[..8];
        await HttpAgent.RegisterAsync(app.Client(token: null), admin, name, "linux");
        using (var disabled = await admin.PatchAsJsonAsync($"/api/agents/{name}", new { disabled = true }))
            disabled.EnsureSuccessStatusCode();
        var signal = app.Services.GetRequiredService<DispatchSignal>();

        var next = signal.Next;
        using var enabled = await admin.PatchAsJsonAsync($"/api/agents/{name}", new { disabled = false });

        enabled.EnsureSuccessStatusCode();
        Assert.True(next.IsCompleted, "enabling the agent did not wake the polls waiting for its jobs");
    }

    [Fact]
    public async Task UntilNextPassAsync_WaitsForTheDispatchSignal_AfterAPassWithNothingInFlight()
    {
        var signal = new DispatchSignal();

        var wait = AgentHousekeeping.UntilNextPassAsync(signal.Next, TimeSpan.Zero, TimeProvider.System, CancellationToken.None);

        Assert.False(wait.IsCompleted, "an idle pass was followed by the next one without a job made ready");
        signal.Notify();
        await wait;
    }

    [Fact]
    public async Task UntilNextPassAsync_WaitsTheIntervalAlone_AfterAPassWithAJobInFlight()
    {
        await AgentHousekeeping.UntilNextPassAsync(signal: null, TimeSpan.Zero, TimeProvider.System, CancellationToken.None);
    }

    [Theory]
    [InlineData(0, false, true)]
    [InlineData(1, false, false)]
    [InlineData(0, true, true)]
    [InlineData(1, true, true)]
    public void LooksAgain_OnlyTheFirstEmbeddedWorker_WithoutReplicas(int worker, bool replicas, bool expected) =>
        Assert.Equal(expected, EmbeddedAgent.LooksAgain(worker, replicas));
}
