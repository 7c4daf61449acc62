using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Environments;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// The only writer of a run's progress on the server. Every change takes the run aggregate under the run's lock (this
/// process's, then the database's, which holds across replicas), as the last change left it (<see cref="RunAggregateCache"/>,
/// single-node databases only) or loaded, applies one guarded move, lets waiting jobs advance (ready jobs are offered to
/// agents), saves, and publishes the new state to live viewers and (through Hangfire, never waiting for it) to the forge
/// as commit statuses.
/// </summary>
public sealed class RunCoordinator(
    IServiceScopeFactory scopes, RunLocks locks, RunAggregateCache cache, IDatabaseProvider database, DispatchSignal dispatch,
    IRunEvents events, TimeProvider time,
    ILogger<RunCoordinator> logger)
{
    /// <summary>Applies <paramref name="change"/> to the run (null when it does not exist) and advances it.</summary>
    public async Task<T?> ChangeAsync<T>(long runId, Func<RunChange, T> change, CancellationToken cancellationToken)
    {
        using var _ = await locks.AcquireAsync(runId, cancellationToken);
        // Where other replicas change runs too (PostgreSQL), a cached aggregate may be stale: the run is read again under
        // the database's lock.
        var loaded = database.SupportsReplicas ? null : cache.Take(runId);
        IAsyncDisposable? clusterLock = null;
        T result;
        int ready;
        try
        {
            if (loaded is null)
            {
                var scope = scopes.CreateAsyncScope();
                clusterLock = await database.LockAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), ClusterLock.Run, runId, cancellationToken);
                loaded = await LoadAsync(scope, runId, cancellationToken);
                if (loaded is null)
                {
                    await clusterLock.DisposeAsync();
                    await scope.DisposeAsync();
                    return default;
                }
            }
            else loaded = await RefreshAsync(loaded, cancellationToken);
            if (loaded is null) return default;
            (result, ready) = await ApplyAsync(loaded, change, cancellationToken);
        }
        catch
        {
            // The aggregate or the context may hold changes that were not saved: the next change loads the run again.
            if (clusterLock is not null) await clusterLock.DisposeAsync();
            if (loaded is not null) await loaded.Scope.DisposeAsync();
            throw;
        }

        if (clusterLock is not null) await clusterLock.DisposeAsync();
        if (loaded.Run.Status.IsFinished() || database.SupportsReplicas) await loaded.Scope.DisposeAsync();
        else await cache.PutAsync(runId, loaded);
        if (ready > 0) dispatch.Notify();
        return result;
    }

    private static async Task<LoadedRun?> LoadAsync(AsyncServiceScope scope, long runId, CancellationToken cancellationToken)
    {
        // Changes are looked for only where a change can make them (ChangedJobs), not in every tracked row of the run.
        scope.ServiceProvider.GetRequiredService<PipelinerDbContext>().ChangeTracker.AutoDetectChangesEnabled = false;
        if (await scope.ServiceProvider.GetRequiredService<RunStore>().LoadAsync(runId, cancellationToken) is var (entity, run))
            return new LoadedRun(scope, entity, run);
        return null;
    }

    /// <summary>The project's settings (repository, forge, default branch) may have changed since the run was cached.</summary>
    private static async Task<LoadedRun> RefreshAsync(LoadedRun loaded, CancellationToken cancellationToken)
    {
        var db = loaded.Scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Entry(loaded.Entity.Project!).ReloadAsync(cancellationToken);
        return loaded;
    }

    private async Task<(T Result, int Ready)> ApplyAsync<T>(LoadedRun loaded, Func<RunChange, T> change, CancellationToken cancellationToken)
    {
        var (scope, entity, run) = loaded;
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<RunStore>();
        var forgeStatuses = scope.ServiceProvider.GetRequiredService<ForgeStatusOutbox>();
        var changed = ChangedJobs.Before(entity);
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
        changed.Detect(db, context.Touched);
        await db.SaveChangesAsync(CancellationToken.None);
        forgeStatuses.Enqueue(statuses);
        if (ready.Count > 0)
        {
            // Why the ready jobs wait, from the agents online now (the status published next says so).
            await scope.ServiceProvider.GetRequiredService<PendingReasonWriter>().RewordAsync(CancellationToken.None);
            await ReloadReasonsAsync(db, entity);
        }

        PublishStatus(entity);
        return (result, ready.Count);
    }

    /// <summary>The ready jobs' reasons as reworded in the database: one query for the run, not one per job.</summary>
    private static async Task ReloadReasonsAsync(PipelinerDbContext db, RunEntity entity)
    {
        var reasons = await db.Jobs.AsNoTracking().Where(j => j.RunId == entity.Id && j.Ready)
            .Select(j => new { j.Id, j.Reason }).ToDictionaryAsync(j => j.Id, j => j.Reason, CancellationToken.None);
        foreach (var job in entity.Jobs)
        {
            if (!reasons.TryGetValue(job.Id, out var reason) || job.Reason == reason) continue;
            var property = db.Entry(job).Property(j => j.Reason);
            property.CurrentValue = reason;
            property.OriginalValue = reason;
            property.IsModified = false;
        }
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

    /// <summary>The rows a change asked for: saved even when the job's own state did not change (its artifacts did).</summary>
    internal HashSet<JobEntity> Touched { get; } = [];

    public JobEntity JobEntity(string jobId)
    {
        var job = Entity.Jobs.First(j => j.JobId == jobId);
        Touched.Add(job);
        return job;
    }
}
