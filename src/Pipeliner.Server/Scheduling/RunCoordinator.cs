using System.Collections.Concurrent;
using System.Diagnostics;
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
    IRunEvents events, ProjectWrites projectWrites, CurrentAttemptRows attemptRows, TimeProvider time,
    ILogger<RunCoordinator> logger)
{
    public static readonly TimeSpan StatusInterval = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<long, long> _statusSentAt = new();
    private readonly ConcurrentDictionary<long, byte> _statusPending = new();

    /// <summary>Applies <paramref name="change"/> to the run (null when it does not exist) and advances it.</summary>
    public Task<T?> ChangeAsync<T>(long runId, Func<RunChange, T> change, CancellationToken cancellationToken) =>
        ChangeAsync(runId, change, fresh: false, cancellationToken);

    private async Task<T?> ChangeAsync<T>(
        long runId, Func<RunChange, T> change, bool fresh, CancellationToken cancellationToken, bool justStored = false, StoredRunHandover? handover = null)
    {
        // A handed-over run's lock is held since before its store was committed (released by its owner).
        using var _ = handover is null ? await locks.AcquireAsync(runId, cancellationToken) : null;
        // Where other replicas change runs too (PostgreSQL), a cached aggregate may be stale: the run is read again under
        // the database's lock. A fresh change reads it again anyway (its cached aggregate, if any, is replaced after).
        var loaded = database.SupportsReplicas || fresh ? null : cache.Take(runId);
        if (handover is not null && loaded is not null)
        {
            // Only a run of the same id whose store was rolled back could have left this: the handed-over run is the one stored.
            await loaded.Scope.DisposeAsync();
            loaded = null;
        }
        IAsyncDisposable? clusterLock = null;
        T result;
        int ready;
        try
        {
            if (loaded is null)
            {
                var scope = scopes.CreateAsyncScope();
                clusterLock = await database.LockAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), ClusterLock.Run, runId, cancellationToken);
                loaded = handover is not null
                    ? Adopt(scope, handover)
                    : await LoadAsync(scope, runId, justStored, projectWrites.Stamp, cancellationToken);
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

    private static async Task<LoadedRun?> LoadAsync(AsyncServiceScope scope, long runId, bool justStored, long projectStamp, CancellationToken cancellationToken)
    {
        // Changes are looked for only where a change can make them (ChangedJobs), not in every tracked row of the run.
        scope.ServiceProvider.GetRequiredService<PipelinerDbContext>().ChangeTracker.AutoDetectChangesEnabled = false;
        if (await scope.ServiceProvider.GetRequiredService<RunStore>().LoadAsync(runId, cancellationToken, justStored) is var (entity, run))
            return new LoadedRun(scope, entity, run) { ProjectStamp = projectStamp };
        return null;
    }

    /// <summary>
    /// The run as its store inserted it, tracked by the scope's context as if read: its row and job rows (copies, which
    /// cannot have attempts, artifacts or approvals yet) and its project's row from the same transaction.
    /// </summary>
    private static LoadedRun? Adopt(AsyncServiceScope scope, StoredRunHandover handover)
    {
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var entity = handover.Run;
        entity.Project = handover.Project;
        entity.Jobs = [.. handover.Jobs];
        db.Attach(entity);
        return RunStore.Restore(entity) is var (restored, run) ? new LoadedRun(scope, restored, run) { ProjectStamp = handover.ProjectStamp } : null;
    }

    /// <summary>
    /// The project's settings (repository, forge, default branch) may have changed since the run was cached: read again, with
    /// a query compiled once (<c>ReloadAsync</c> builds and translates a new query for every call), when a project row was
    /// saved since (<see cref="ProjectWrites"/>; the stamp is taken before the row is read).
    /// </summary>
    private async Task<LoadedRun?> RefreshAsync(LoadedRun loaded, CancellationToken cancellationToken)
    {
        var stamp = projectWrites.Stamp;
        if (stamp == loaded.ProjectStamp) return loaded;
        var db = loaded.Scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var project = loaded.Entity.Project!;
        if (await ProjectById.For(db)(db, project.Id, cancellationToken) is not { } fresh)
        {
            // The project was deleted, with its runs.
            await loaded.Scope.DisposeAsync();
            return null;
        }

        // As ReloadAsync leaves it: the values read, nothing to write (the project row is never saved by a change).
        var entry = db.Entry(project);
        entry.CurrentValues.SetValues(fresh);
        entry.OriginalValues.SetValues(fresh);
        entry.State = EntityState.Unchanged;
        loaded.ProjectStamp = stamp;
        return loaded;
    }

    private static readonly CompiledPerModel<Func<PipelinerDbContext, int, CancellationToken, Task<ProjectEntity?>>> ProjectById = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, int id, CancellationToken _) => db.Projects.AsNoTracking().FirstOrDefault(p => p.Id == id)));

    private async Task<(T Result, int Ready)> ApplyAsync<T>(LoadedRun loaded, Func<RunChange, T> change, CancellationToken cancellationToken)
    {
        var (scope, entity, run) = loaded;
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var context = new RunChange(run, entity, time.GetUtcNow()) { JobsById = loaded.JobsById };
        var result = change(context);
        // One connection for the change's reads and writes (opened once, not once per statement: on SQLite an open and a
        // close of a pooled connection cost about what a small statement does); a database lock's connection is open already.
        await db.Database.OpenConnectionAsync(CancellationToken.None);
        try
        {
            return await ApplyOpenAsync(loaded, context, result, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<(T Result, int Ready)> ApplyOpenAsync<T>(LoadedRun loaded, RunChange context, T result, CancellationToken cancellationToken)
    {
        var (scope, entity, run) = loaded;
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<RunStore>();
        var forgeStatuses = scope.ServiceProvider.GetRequiredService<ForgeStatusOutbox>();
        // Jobs pass their environment's rules before they become ready: a refused job never reaches an agent. A finished run
        // advances too: one with manual jobs left reopens when a person starts one.
        var admission = !run.HasUnfinishedJobs ? null
            : await scope.ServiceProvider.GetRequiredService<EnvironmentGate>().ForRunAsync(entity, run, CancellationToken.None);
        var ready = RunAdvancer.Advance(run, time.GetUtcNow(), admit: admission);
        // Only what the change and the advance touched is written back and compared: the cost of a change does not grow
        // with the run's size.
        var jobs = run.TakeChangedJobs().Union(ready).ToList();
        store.Apply(run, entity, jobs, loaded.JobsById);
        foreach (var (jobId, start) in context.Starts)
        {
            var attempt = loaded.JobsById[jobId].Attempts.MaxBy(a => a.Number)!;
            attempt.LeaseExpiresAt = start.LeaseUntil;
            attempt.CredentialHash = start.CredentialHash;
            start.Row = attempt;
        }
        await MarkReadyAsync(scope, loaded, jobs, ready);
        var statuses = await forgeStatuses.StageAsync(entity.Project!, entity, context.Now);
        var rows = ChangedJobs.Detect(db, entity, jobs.Select(j => loaded.JobsById[j.Id]).ToHashSet(), context.Touched, statusesStaged: statuses.Count > 0);
        await rows.SaveAsync(db, CancellationToken.None);
        foreach (var job in jobs) attemptRows.Saved(entity, loaded.JobsById[job.Id]);
        forgeStatuses.Enqueue(statuses);
        PublishStatus(entity);
        return (result, ready.Count);
    }

    /// <summary>
    /// Drops the run's cached aggregate, after a write made beside the coordinator (a pin): its next change reads the run
    /// again, so that what it publishes is not the aggregate's older copy.
    /// </summary>
    public async Task ForgetAsync(long runId, CancellationToken cancellationToken)
    {
        using var _ = await locks.AcquireAsync(runId, cancellationToken);
        if (cache.Take(runId) is { } loaded) await loaded.Scope.DisposeAsync();
    }

    public Task AdvanceAsync(long runId, CancellationToken cancellationToken) =>
        ChangeAsync(runId, _ => true, cancellationToken);

    /// <summary>
    /// The first advance of a run stored a moment ago (its jobs have never been ready): where it is not cached, it is read
    /// without its jobs' attempts, artifacts and approvals, which it cannot have yet (<see cref="RunStore.LoadAsync"/>).
    /// </summary>
    /// <param name="handover">
    /// The stored run itself, with its lock held (one process on the database): neither read back nor locked again
    /// (<see cref="StoredRunHandover"/>). Null: read as above.
    /// </param>
    public Task AdvanceStoredAsync(long runId, StoredRunHandover? handover, CancellationToken cancellationToken) =>
        ChangeAsync(runId, _ => true, fresh: false, cancellationToken, justStored: true, handover: handover);

    /// <summary>
    /// Reads the run from the database, whatever this process has cached, and advances it: every waiting job is decided
    /// again (ready, pending and why, skipped), as at start-up. For runs a fault left behind (a claim or a first advance
    /// cut short), where the cached aggregate may not know what the database holds.
    /// </summary>
    public Task ReviseAsync(long runId, CancellationToken cancellationToken) =>
        ChangeAsync(runId, _ => true, fresh: true, cancellationToken);

    /// <summary>
    /// The ready flag agents claim by, on the jobs this change wrote: set on those that became ready, with why they wait
    /// (from the agents online now, saved with the change), cleared on the others (started, skipped, canceled). Any claim
    /// time on them is cleared too: this change decided the job (a claim's own change started it). Written whatever the
    /// context last saw (<see cref="ChangedJobs.Detect"/>): claims take the flag outside the aggregate.
    /// </summary>
    private static async Task MarkReadyAsync(AsyncServiceScope scope, LoadedRun loaded, IReadOnlyList<RunJob> jobs, IReadOnlyList<RunJob> ready)
    {
        var readyIds = ready.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        var reasons = ready.Count == 0 ? null
            : await scope.ServiceProvider.GetRequiredService<PendingReasonWriter>().ReasonsAsync(CancellationToken.None);
        foreach (var job in jobs)
        {
            var stored = loaded.JobsById[job.Id];
            stored.ClaimedAt = null;
            stored.Ready = readyIds.Contains(job.Id);
            if (!stored.Ready) continue;
            stored.Status = JobStatus.Pending.ToName();
            stored.Reason = reasons!(stored.RunsOn);
        }
    }

    /// <summary>
    /// The run's state to its live viewers: the whole run, so at most one every <see cref="StatusInterval"/> per run while
    /// it changes faster than that (a run of thousands of jobs changes many times a second). The change that comes too soon
    /// schedules one advance at the end of the interval, which publishes the state as it is then: the last state is
    /// always sent. A run that finished is sent at once.
    /// </summary>
    private void PublishStatus(RunEntity entity)
    {
        if (!events.IsWatched(entity.Id)) return;
        var now = Stopwatch.GetTimestamp();
        var finished = StatusNames.ParseRunStatus(entity.Status).IsFinished();
        if (!finished && _statusSentAt.TryGetValue(entity.Id, out var sent) && Stopwatch.GetElapsedTime(sent, now) is var since && since < StatusInterval)
        {
            if (_statusPending.TryAdd(entity.Id, 0)) _ = PublishLaterAsync(entity.Id, StatusInterval - since);
            return;
        }

        _statusSentAt[entity.Id] = now;
        if (finished) _statusSentAt.TryRemove(entity.Id, out _);
        try
        {
            events.Publish(entity.Id, IRunEvents.StatusType, JsonSerializer.Serialize(RunReader.ToResponse(entity), JsonSerializerOptions.Web));
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "Could not publish the status of run {RunId}", entity.Id);
        }
    }

    private async Task PublishLaterAsync(long runId, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay);
            _statusPending.TryRemove(runId, out _);
            await AdvanceAsync(runId, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _statusPending.TryRemove(runId, out _);
            logger.LogWarning(e, "Could not publish the status of run {RunId}", runId);
        }
    }
}

/// <summary>What a change to a run works on: the aggregate, its entity (for bookkeeping fields) and the time.</summary>
public sealed record RunChange(Run Run, RunEntity Entity, DateTimeOffset Now)
{
    /// <summary>
    /// Attempts a claim by an agent starts, by job id: their lease and credential are set on the job's newest attempt row once
    /// the change is applied, so that they are part of its insert (<see cref="AttemptStart.Row"/> has its id once saved).
    /// </summary>
    public Dictionary<string, AttemptStart> Starts { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The rows a change asked for, with their artifacts before it: saved even when the job's own state did not change (its
    /// artifacts did).
    /// </summary>
    internal Dictionary<JobEntity, ArtifactEntity[]> Touched { get; } = [];

    /// <summary>The run's job rows by job id (the coordinator's index of <see cref="RunEntity.Jobs"/>).</summary>
    internal IReadOnlyDictionary<string, JobEntity>? JobsById { get; init; }

    public JobEntity JobEntity(string jobId)
    {
        var job = JobsById is { } byId ? byId[jobId] : Entity.Jobs.First(j => j.JobId == jobId);
        Touched.TryAdd(job, [.. job.Artifacts]);
        return job;
    }
}

/// <summary>What a claim writes on the attempt it starts: its lease and the hash of its credential, with the attempt's row.</summary>
public sealed class AttemptStart(DateTimeOffset leaseUntil, string credentialHash)
{
    public DateTimeOffset LeaseUntil { get; } = leaseUntil;

    public string CredentialHash { get; } = credentialHash;

    /// <summary>The attempt's row, set by the coordinator when it applies the change; its id is known once the change is saved.</summary>
    public AttemptEntity? Row { get; internal set; }
}
