using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// The run aggregate read for a first advance (<c>justStored</c>: without attempts, artifacts and approvals, which a run
/// never advanced cannot have) is read whole when the run has moved meanwhile: nothing it holds is left out.
/// </summary>
public abstract class RunStoreTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task LoadAsync_ReadsTheAttempts_WhenARunTakenForJustStoredHasMovedSince()
    {
        var label = "store" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client();
        var runId = await client.TriggerJobForLabelAsync(app, label);
        var protocol = app.Services.GetRequiredService<IAgentProtocol>();
        var work = await protocol.NextAsync(new AgentInfo("agent-" + label, [label], 1), TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal((runId, "build"), (work?.Key.RunId, work?.Key.JobId));

        await using var scope = app.Services.CreateAsyncScope();
        var loaded = await scope.ServiceProvider.GetRequiredService<RunStore>().LoadAsync(runId, CancellationToken.None, justStored: true);

        Assert.NotNull(loaded);
        var (entity, run) = loaded.Value;
        Assert.Equal(JobStatus.Running, run.Job("build").Status);
        Assert.Equal([1], run.Job("build").Attempts.Select(a => a.Number));
        Assert.Single(entity.Jobs.Single().Attempts);
        await protocol.DoneAsync(work!.Key, new JobAttemptReport(AttemptOutcome.Succeeded(), "", []), CancellationToken.None);
    }
}

public sealed class RunStoreTests(AppWithoutAgent app) : RunStoreTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class RunStoreOnPostgresTests(AppWithoutAgentOnPostgres app) : RunStoreTests<AppWithoutAgentOnPostgres>(app);
