using System.Text.Json;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Environments;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// The only writer of a run's progress on the server. Every change loads the run aggregate under the run's lock,
/// applies one guarded move, lets waiting jobs advance (ready jobs are offered to agents), saves, and publishes
/// the new state to live viewers and (through Hangfire, never waiting for it) to the forge as commit statuses.
/// </summary>
public sealed class RunCoordinator(
    IServiceScopeFactory scopes, RunLocks locks, DispatchSignal dispatch, RunEvents events, TimeProvider time,
    ILogger<RunCoordinator> logger)
{
    /// <summary>Applies <paramref name="change"/> to the run (null when it does not exist) and advances it.</summary>
    public async Task<T?> ChangeAsync<T>(long runId, Func<RunChange, T> change, CancellationToken cancellationToken)
    {
        using var _ = await locks.AcquireAsync(runId, cancellationToken);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<RunStore>();
        var forgeStatuses = scope.ServiceProvider.GetRequiredService<ForgeStatusOutbox>();
        if (await store.LoadAsync(runId, cancellationToken) is not var (entity, run)) return default;

        var context = new RunChange(run, entity, time.GetUtcNow());
        var result = change(context);
        // Jobs pass their environment's rules before they become ready: a refused job never reaches an agent. A finished run
        // advances too: one with manual jobs left reopens when a person starts one.
        var admission = run.Jobs.All(j => j.Status.IsFinished()) ? null
            : await scope.ServiceProvider.GetRequiredService<EnvironmentGate>().ForRunAsync(entity, run, CancellationToken.None);
        var ready = RunAdvancer.Advance(run, time.GetUtcNow(), admit: admission);
        store.Apply(run, entity);
        foreach (var (jobId, until) in context.Leases)
            entity.Jobs.First(j => j.JobId == jobId).Attempts.MaxBy(a => a.Number)!.LeaseExpiresAt = until;
        MarkReady(entity, ready);
        var statuses = await forgeStatuses.StageAsync(entity.Project!, entity, context.Now);
        await db.SaveChangesAsync(CancellationToken.None);
        forgeStatuses.Enqueue(statuses);
        if (ready.Count > 0)
        {
            // Why the ready jobs wait, from the agents online now (the status published next says so).
            await scope.ServiceProvider.GetRequiredService<PendingReasonWriter>().RewordAsync(CancellationToken.None);
            foreach (var job in entity.Jobs.Where(j => j.Ready)) await db.Entry(job).ReloadAsync(CancellationToken.None);
        }

        PublishStatus(entity);
        if (ready.Count > 0) dispatch.Notify();
        return result;
    }

    public Task AdvanceAsync(long runId, CancellationToken cancellationToken) =>
        ChangeAsync(runId, _ => true, cancellationToken);

    private static void MarkReady(RunEntity entity, IReadOnlyList<RunJob> ready)
    {
        var readyIds = ready.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var job in entity.Jobs)
        {
            job.Ready = readyIds.Contains(job.JobId);
            if (job.Ready)
            {
                job.Status = JobStatus.Pending.ToName();
                job.Reason = PendingReasons.WaitingFor(job.RunsOn);
            }
        }
    }

    private void PublishStatus(RunEntity entity)
    {
        if (!events.IsWatched(entity.Id)) return;
        try
        {
            events.Publish(entity.Id, "status", JsonSerializer.Serialize(RunReader.ToResponse(entity), JsonSerializerOptions.Web));
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "Could not publish the status of run {RunId}", entity.Id);
        }
    }
}

/// <summary>What a change to a run works on: the aggregate, its entity (for bookkeeping fields) and the time.</summary>
public sealed record RunChange(Run Run, RunEntity Entity, DateTimeOffset Now)
{
    /// <summary>Leases to set on the jobs' newest attempts once the change is applied (a claim by an agent).</summary>
    public Dictionary<string, DateTimeOffset> Leases { get; } = new(StringComparer.Ordinal);

    public JobEntity JobEntity(string jobId) => Entity.Jobs.First(j => j.JobId == jobId);
}
