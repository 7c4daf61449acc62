using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// The agent protocol as a remote agent would use it (no embedded agent runs here): claims by label, leases,
/// and agents that vanish — their job is lost and queued again, up to Pipeliner:Agent:MaxLostRequeues times in a row
/// (one here), then failed.
/// </summary>
public class AgentProtocolTests(AgentProtocolTests.ShortLeaseApp app) : IClassFixture<AgentProtocolTests.ShortLeaseApp>
{
    public sealed class ShortLeaseApp() : PipelinerApp(agentCapacity: 0, new Dictionary<string, string>
    {
        ["Pipeliner:Agent:LeaseDuration"] = "00:00:00.300",
        ["Pipeliner:Agent:MaxLostRequeues"] = "1",
    });

    private static readonly AgentInfo Linux = new("remote-linux", ["linux", "docker"], 8);

    private IAgentProtocol Protocol => app.Services.GetRequiredService<IAgentProtocol>();

    private async Task SweepAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LeaseSweeper>().SweepExpiredAsync();
    }

    private async Task<(HttpClient Client, long RunId)> RunAsync(string pipeline)
    {
        var repository = app.NewRepository(pipeline);
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        return (client, await client.TriggerAsync(project));
    }

    private async Task<AgentWork> ClaimAsync(AgentInfo agent, long runId)
    {
        // Other tests' runs may be waiting too: hand back whatever is not this run's.
        while (true)
        {
            var work = await Protocol.NextAsync(agent, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.NotNull(work);
            if (work.Key.RunId == runId) return work;
            await Protocol.DoneAsync(work.Key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);
        }
    }

    [Fact]
    public async Task Next_HandsOutTheReadyJobWithALease_WhenTheAgentHasItsLabels()
    {
        var (client, id) = await RunAsync(Pipelines.OneJob);
        using var _ = client;

        var work = await ClaimAsync(Linux, id);

        Assert.Equal(("build", 1), (work.Key.JobId, work.Key.Attempt));
        Assert.Equal(TimeSpan.FromMilliseconds(300), work.LeaseDuration);
        var run = await client.GetRunAsync(id);
        Assert.Equal(("running", "remote-linux"), (run.Job("build").Status, run.Job("build").Attempts[0].Agent));
        Assert.True(await Protocol.ExtendLeaseAsync(work.Key, CancellationToken.None));
        await Protocol.DoneAsync(work.Key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);
        Assert.Equal("succeeded", (await client.GetRunAsync(id)).Status);
        Assert.False(await Protocol.ExtendLeaseAsync(work.Key, CancellationToken.None));
    }

    [Fact]
    public async Task Next_HandsOutNothing_WhenNoReadyJobFitsTheAgentsLabels()
    {
        const string gpuOnly = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              gpu:
                stage: test
                runs-on: [gpu]
                script: ["echo gpu"]

            """;
        var (client, id) = await RunAsync(gpuOnly);
        using var _ = client;

        var work = await Protocol.NextAsync(new AgentInfo("no-gpu", ["linux"], 8), TimeSpan.FromMilliseconds(300), CancellationToken.None);

        Assert.True(work is null || work.Key.RunId != id);
        Assert.Equal("pending", (await client.GetRunAsync(id)).Job("gpu").Status);
        var gpu = await ClaimAsync(new AgentInfo("with-gpu", ["gpu", "linux"], 8), id);
        Assert.Equal("gpu", gpu.Key.JobId);
    }

    [Fact]
    public async Task Sweep_RequeuesTheJobUpToTheLimitThenFailsIt_WhenItsAgentStopsExtendingTheLease()
    {
        var (client, id) = await RunAsync(Pipelines.BuildAndTest);
        using var _ = client;
        var first = await ClaimAsync(Linux, id);
        await client.WaitForRunAsync(id, r => r.Job("build").Attempts.Count == 1, "the claim");

        await Poll.UntilAsync(async () => { await SweepAsync(); return await client.GetRunAsync(id); },
            run => run.Job("build").Status != "running", "the expired lease to be swept");

        var requeued = await client.GetRunAsync(id);
        Assert.Equal(("pending", "failed"), (requeued.Job("build").Status, requeued.Job("build").Attempts[0].Status));
        Assert.Equal(("lost: its agent remote-linux stopped answering (lease expired)", "lost"),
            (requeued.Job("build").Attempts[0].Message, requeued.Job("build").Attempts[0].Cause));
        Assert.EndsWith("pipeliner: lost: its agent remote-linux stopped answering (lease expired); queued again (lost 1 of at most 1 times in a row; retry not used)\n",
            await client.LogAsync(id, "build", attempt: 1), StringComparison.Ordinal);
        Assert.Equal("running", requeued.Status);
        Assert.False(await Protocol.ExtendLeaseAsync(first.Key, CancellationToken.None), "a lost attempt's agent is told to stop");
        await Protocol.DoneAsync(first.Key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);
        Assert.Equal("pending", (await client.GetRunAsync(id)).Job("build").Status);

        var second = await ClaimAsync(Linux, id);
        Assert.Equal(2, second.Key.Attempt);
        await Poll.UntilAsync(async () => { await SweepAsync(); return await client.GetRunAsync(id); },
            run => run.Job("build").Status != "running", "the second expired lease to be swept");

        var failed = await client.GetRunAsync(id);
        Assert.Equal(("failed", "failed", "skipped"), (failed.Status, failed.Job("build").Status, failed.Job("test").Status));
        Assert.Equal(["failed", "failed"], failed.Job("build").Attempts.Select(a => a.Status));
        Assert.EndsWith("lost 2 times in a row, more than the 1 allowed: not queued again", failed.Job("build").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Done_ChangesNothing_WhenTheRunWasCanceledMeanwhile()
    {
        var (client, id) = await RunAsync(Pipelines.OneJob);
        using var _ = client;
        var work = await ClaimAsync(Linux, id);
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        Assert.False(await Protocol.ExtendLeaseAsync(work.Key, CancellationToken.None));
        await Protocol.DoneAsync(work.Key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);

        var run = await client.GetRunAsync(id);
        Assert.Equal(("canceled", "canceled"), (run.Status, run.Job("build").Status));
    }
}
