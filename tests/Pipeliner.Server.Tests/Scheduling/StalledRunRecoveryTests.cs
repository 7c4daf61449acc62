using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Tests.Agents;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Scheduling;

/// <summary>
/// Runs a fault left half-way, as a server killed (or cut off from its database) at the worst moment leaves them in the
/// database, written here directly: the server's housekeeping (every second with leases of 300 ms) advances them again,
/// and an agent gets their jobs, without a restart. A job that is not ready keeps waiting.
/// </summary>
public abstract class StalledRunRecoveryTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly AgentInfo Agent = new("recovery-agent", ["linux", "docker"], 8);

    private IAgentProtocol Protocol => app.Services.GetRequiredService<IAgentProtocol>();

    private async Task<(HttpClient Client, long RunId)> RunAsync(string pipeline)
    {
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(pipeline));
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "pending");
        return (client, id);
    }

    /// <summary>The next job of run <paramref name="runId"/> an agent gets within <paramref name="wait"/>; null when none came.</summary>
    private async Task<AgentWork?> NextOfRunAsync(long runId, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            var work = await Protocol.NextAsync(Agent, deadline - DateTime.UtcNow, CancellationToken.None);
            if (work is null) return null;
            if (work.Key.RunId == runId) return work;
            // Another test's run: finish its job.
            await SucceedAsync(work.Key);
        }

        return null;
    }

    private Task SucceedAsync(AttemptKey key) =>
        Protocol.DoneAsync(key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);

    /// <summary>What a claim that took the job's ready flag leaves when its server dies before starting the attempt.</summary>
    private Task TakeFlagAsAClaimThatDiedAsync(long runId, string job, DateTimeOffset at) => app.WithDbAsync(db =>
        db.Jobs.Where(j => j.RunId == runId && j.JobId == job)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.Ready, false).SetProperty(j => j.ClaimedAt, (DateTimeOffset?)at)));

    [Fact]
    public async Task Recover_GivesTheJobToAnAgent_WhenAClaimTookItsReadyFlagAndNeverStartedIt()
    {
        var (client, id) = await RunAsync(Pipelines.OneJob);
        using var _ = client;

        await TakeFlagAsAClaimThatDiedAsync(id, "build", DateTimeOffset.UtcNow);

        var work = await NextOfRunAsync(id, TimeSpan.FromSeconds(60));
        Assert.True(work is not null, "the job whose claim died was never handed out again");
        Assert.Equal(("build", 1), (work.Key.JobId, work.Key.Attempt));
        await SucceedAsync(work.Key);
        Assert.Equal("succeeded", (await client.GetRunAsync(id)).Status);
    }

    [Fact]
    public async Task Recover_AdvancesTheRun_WhenItWasStoredButItsFirstAdvanceNeverHappened()
    {
        var (client, id) = await RunAsync(Pipelines.OneJob);
        using var _ = client;

        // As RunFactory stored it, before the advance that makes its first jobs ready; created a minute ago.
        await app.WithDbAsync(async db =>
        {
            var queued = JobStatus.Queued.ToName();
            await db.Jobs.Where(j => j.RunId == id)
                .ExecuteUpdateAsync(set => set.SetProperty(j => j.Ready, false).SetProperty(j => j.Status, queued).SetProperty(j => j.Reason, (string?)null));
            var run = await db.Runs.SingleAsync(r => r.Id == id);
            run.CreatedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            await db.SaveChangesAsync();
        });

        var work = await NextOfRunAsync(id, TimeSpan.FromSeconds(60));
        Assert.True(work is not null, "the run that was never advanced never gave out its job");
        Assert.Equal("build", work.Key.JobId);
        await SucceedAsync(work.Key);
        Assert.Equal("succeeded", (await client.GetRunAsync(id)).Status);
    }

    [Fact]
    public async Task Recover_KeepsAManualJobWaitingForApproval_WhenAStaleClaimTimeIsOnIt()
    {
        var (client, id) = await RunAsync(Pipelines.ManualDeploy);
        using var _ = client;

        // A claim time older than a lease on a job that was never ready: deciding the run again must not make it ready.
        await TakeFlagAsAClaimThatDiedAsync(id, "deploy", DateTimeOffset.UtcNow.AddMinutes(-1));
        await Poll.UntilAsync(() => app.WithDbAsync(db => db.Jobs.Where(j => j.RunId == id && j.JobId == "deploy").Select(j => j.ClaimedAt).SingleAsync()),
            claimedAt => claimedAt is null, "the stale claim time to be cleared", TimeSpan.FromSeconds(60));

        var build = await NextOfRunAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("build", build?.Key.JobId);
        await SucceedAsync(build!.Key);
        Assert.Null(await NextOfRunAsync(id, TimeSpan.FromSeconds(2)));
        var deploy = (await client.GetRunAsync(id)).Job("deploy");
        Assert.Equal(("pending", RunAdvancer.ApprovalReason), (deploy.Status, deploy.Reason));
    }
}

/// <summary>The tests above on SQLite.</summary>
public sealed class StalledRunRecoveryTests(ShortLeaseApp app) : StalledRunRecoveryTests<ShortLeaseApp>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class StalledRunRecoveryOnPostgresTests(ShortLeaseApp.OnPostgres app) : StalledRunRecoveryTests<ShortLeaseApp.OnPostgres>(app);
