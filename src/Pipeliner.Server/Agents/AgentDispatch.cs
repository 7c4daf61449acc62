using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Environments;
using Pipeliner.Server.Http;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>A job an agent now holds: the wire assignment, plus what only an agent inside the server may use (its disk).</summary>
public sealed record ClaimedAttempt(
    AttemptKey Key, long AttemptId, AgentAssignment Assignment, string Repository, IReadOnlyList<string> ArtifactSources, CacheScopes CacheScopes);

/// <summary>A claim before its attempt has its id: the upstream artifacts are named by job and index.</summary>
internal sealed record StartedClaim(
    AttemptKey Key, AgentAssignment Assignment, IReadOnlyList<(string Job, int Index, ArtifactEntity Artifact)> Artifacts,
    string Repository, IReadOnlyList<string> ArtifactSources, CacheScopes CacheScopes, AttemptStart Start);

/// <summary>
/// The server's side of the agent protocol, shared by both transports (the embedded agent in process, remote agents
/// over HTTP): claims (atomic in the database: a ready job's flag is taken with one conditional update before the run
/// aggregate starts the attempt), leases, and the recording of an attempt's end. Every write names its attempt, and
/// only the job's running attempt is written to.
/// </summary>
public sealed class AgentDispatch(
    IServiceScopeFactory scopes, RunCoordinator coordinator, DispatchSignal dispatch, ActiveAttempts active, ServerMetrics metrics,
    ICacheStore caches, IDatabaseProvider database, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<AgentDispatch> logger)
{
    /// <summary>
    /// How often a waiting poll looks again without a signal, and so writes its agent's last-seen time: every 5 s where
    /// replicas share the database (the signal is this process's: jobs another replica made ready are found by looking);
    /// with one process, where every change that makes a job claimable rings the signal (a run's change, a claim given
    /// back, an agent enabled), a third of <c>OfflineAfter</c> (15 s by default), often enough to stay online: an idle
    /// server's two embedded-agent slots then query a third as often (docs/performance.md).
    /// </summary>
    public TimeSpan RecheckInterval => RecheckIntervalOf(database.SupportsReplicas, options.Value.Agent);

    public static TimeSpan RecheckIntervalOf(bool replicas, AgentOptions agent) =>
        replicas ? ReplicaRecheck : TimeSpan.FromTicks(Math.Clamp(agent.OfflineAfter.Ticks / 3, ReplicaRecheck.Ticks, MaxRecheck.Ticks));

    private static readonly TimeSpan ReplicaRecheck = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRecheck = TimeSpan.FromSeconds(15);

    public TimeSpan Lease => options.Value.Agent.LeaseDuration;

    /// <summary>
    /// A job for the agent, waiting up to <paramref name="wait"/> for one (long poll); null when none came. The wait ends
    /// at once when jobs become ready (<see cref="DispatchSignal"/>); it also looks again every few seconds, which is when
    /// the agent's last-seen time is written (not at every wake-up: many pollers woken for one job would all write), unless
    /// it was written less than <see cref="AgentDirectory.SeenInterval"/> ago (<paramref name="seenAt"/>: when the caller
    /// knows it was, as the credential check of an HTTP call does).
    /// </summary>
    public async Task<ClaimedAttempt?> NextAsync(string agent, TimeSpan wait, CancellationToken cancellationToken, DateTimeOffset? seenAt = null)
    {
        var deadline = time.GetUtcNow() + wait;
        DateTimeOffset? seen = seenAt;
        while (true)
        {
            var notified = dispatch.Next;
            var recheck = RecheckInterval;
            if (seen is null || time.GetUtcNow() - seen >= recheck)
            {
                await TouchAsync(agent, cancellationToken);
                seen = time.GetUtcNow();
            }

            if (await TryClaimAsync(agent, cancellationToken) is { } work) return work;
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return null;
            await DispatchSignal.WaitAsync(notified, remaining < recheck ? remaining : recheck, cancellationToken);
        }
    }

    /// <summary>
    /// Records that the agent asked for work: it is online. Written once per <see cref="AgentDirectory.SeenInterval"/> per
    /// agent by this process (the embedded agent's workers ask after every job).
    /// </summary>
    private async Task TouchAsync(string agentName, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_touched.TryGetValue(agentName, out var touched) && now - touched < AgentDirectory.SeenIntervalOf(options.Value.Agent) && now >= touched) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Agents.Where(a => a.Name == agentName).ExecuteUpdateAsync(set => set.SetProperty(a => a.LastSeenAt, now), cancellationToken);
        if (_touched.Count > 10_000) _touched.Clear();
        _touched[agentName] = now;
    }

    private readonly ConcurrentDictionary<string, DateTimeOffset> _touched = new(StringComparer.Ordinal);

    /// <summary>Extends the attempt's lease; false when it is no longer the job's running attempt (stop it).</summary>
    public async Task<DateTimeOffset?> ExtendLeaseAsync(AttemptKey key, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var running = JobStatus.Running.ToName();
        var until = time.GetUtcNow() + Lease;
        var updated = await db.Attempts
            .Where(a => a.Job!.RunId == key.RunId && a.Job.JobId == key.JobId && a.Number == key.Attempt && a.Status == running)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.LeaseExpiresAt, until), cancellationToken);
        // A busy agent asks for no job: its heartbeats are what shows it is online.
        var now = time.GetUtcNow();
        await db.Agents.Where(agent => db.Attempts.Any(a => a.Job!.RunId == key.RunId && a.Job.JobId == key.JobId && a.Number == key.Attempt && a.Agent == agent.Name))
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.LastSeenAt, now), cancellationToken);
        return updated > 0 ? until : null;
    }

    /// <summary>Records the attempt's end; a report for an attempt already given up (canceled, lost) changes nothing (false).</summary>
    public async Task<bool> RecordDoneAsync(AttemptKey key, AttemptOutcome outcome, IReadOnlyList<ArchivedPath> artifacts, CancellationToken cancellationToken)
    {
        try
        {
            return await coordinator.ChangeAsync(key.RunId, change =>
            {
                var job = change.Run.Job(key.JobId);
                if (job.Status != JobStatus.Running || job.LastAttempt?.Number != key.Attempt) return false;
                job.Finish(outcome, change.Now);
                metrics.ObserveJob(outcome.Status, change.Now - job.Attempts.First(a => a.Number == key.Attempt).StartedAt);
                if (job.Status != JobStatus.Succeeded) return true;
                // The artifacts are those of the last successful attempt, as on disk.
                var entity = change.JobEntity(key.JobId);
                entity.Artifacts.Clear();
                entity.Artifacts.AddRange(artifacts.Select(a => new ArtifactEntity { Path = a.Path, File = a.File, Size = a.Size, Sha256 = a.Sha256 }));
                if (job.Planned.Spec.Environment is { } environment)
                    change.Entity.Deployments.Add(Deployments.Record(change, job, environment, entity.Artifacts));
                return true;
            }, cancellationToken);
        }
        finally
        {
            active.Remove(key);
        }
    }

    private async Task<ClaimedAttempt?> TryClaimAsync(string agentName, CancellationToken cancellationToken)
    {
        // One context for the claim's reads and its take of the flag (not one per statement), on one connection opened once
        // (not once per statement) and given back before the run's change, which has its own.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var open = true;
        try
        {
            // The ready jobs first: a wake-up whose job another agent took already ends here, after one read.
            List<ReadyJob> candidates = [];
            await foreach (var job in ReadyJobs.For(db)(db).WithCancellation(cancellationToken)) candidates.Add(job);
            if (candidates.Count == 0) return null;
            // The agent and its busy slots in one query.
            var agent = await AgentWithBusySlots.For(db)(db, agentName, JobStatus.Running.ToName(), cancellationToken);
            if (agent is null || agent.Disabled || agent.Busy >= agent.Capacity) return null;
            var labels = AgentLabels.Parse(agent.Labels);

            foreach (var candidate in candidates.Where(c => AgentLabels.Fits(c.RunsOn, labels)))
            {
                if (await TakeReadyAsync(db, candidate.Id, cancellationToken) is not { } takenAt) continue;
                var credential = AgentCredentials.New(AgentCredentials.AttemptPrefix);
                StartedClaim? started;
                try
                {
                    var secrets = await scope.ServiceProvider.GetRequiredService<SecretVault>().ForRunAsync(candidate.RunId, cancellationToken);
                    if (open)
                    {
                        open = false;
                        await db.Database.CloseConnectionAsync();
                    }

                    started = await coordinator.ChangeAsync(candidate.RunId, change => Claim(change, candidate.JobId, agentName, secrets, credential), cancellationToken);
                }
                catch
                {
                    // Given back at once where the database still answers; else (an outage, a failing release) the flag's claim
                    // time tells StalledRunRecovery to decide the job again a lease later, on whichever replica.
                    await ReleaseReadyAsync(candidate.Id, takenAt);
                    throw;
                }

                if (started is null) continue;
                var work = await CompleteClaimAsync(started, started.Start.Row!.Id);
                active.Add(work.Key);
                return work;
            }

            return null;
        }
        finally
        {
            if (open) await db.Database.CloseConnectionAsync();
        }
    }

    // Every claim (a wake-up of every waiting agent) runs these two: compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, IAsyncEnumerable<ReadyJob>>> ReadyJobs = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db) => db.Jobs.AsNoTracking().Where(j => j.Ready)
            .OrderBy(j => j.RunId).ThenBy(j => j.Position)
            .Select(j => new ReadyJob(j.Id, j.RunId, j.JobId, j.RunsOn))
            .Take(200)));

    private static readonly CompiledPerModel<Func<PipelinerDbContext, string, string, CancellationToken, Task<ClaimingAgent?>>> AgentWithBusySlots = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, string agentName, string running, CancellationToken _) => db.Agents.AsNoTracking()
            .Where(a => a.Name == agentName)
            .Select(a => new ClaimingAgent(a.Disabled, a.Capacity, a.Labels, db.Attempts.Count(x => x.Agent == a.Name && x.Status == running)))
            .FirstOrDefault()));

    private sealed record ReadyJob(long Id, long RunId, string JobId, string RunsOn);

    private sealed record ClaimingAgent(bool Disabled, int Capacity, string Labels, int Busy);

    /// <summary>
    /// The claim itself: one conditional update, so two agents never take the same ready job. It records when the flag was
    /// taken (the time, or null when another agent took it first): a claim that never starts its attempt is found by it.
    /// </summary>
    private async Task<DateTimeOffset?> TakeReadyAsync(PipelinerDbContext db, long jobEntityId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var taken = await TakeReady.For(db).ExecuteNonQueryAsync(db, [false, now, jobEntityId], cancellationToken);
        return taken == 1 ? now : null;
    }

    // Every claim runs it: one statement written once, not an ExecuteUpdate translated again per call.
    private static readonly SqlRowsPerModel TakeReady = new(sql =>
    {
        var jobs = sql.Table<JobEntity>();
        var ready = jobs.Column(nameof(JobEntity.Ready));
        var claimedAt = jobs.Column(nameof(JobEntity.ClaimedAt));
        var id = jobs.Column(nameof(JobEntity.Id));
        return $"UPDATE {jobs.Name} SET {ready.Name} = {sql.Parameter(ready)}, {claimedAt.Name} = {sql.Parameter(claimedAt)} " +
               $"WHERE {id.Name} = {sql.Parameter(id)} AND {ready.Name}";
    });

    /// <summary>Gives a flag this claim took back, unless the job moved on meanwhile; a failure is logged, not thrown.</summary>
    private async Task ReleaseReadyAsync(long jobEntityId, DateTimeOffset takenAt)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            var pending = JobStatus.Pending.ToName();
            DateTimeOffset? taken = takenAt;
            var released = await db.Jobs.Where(j => j.Id == jobEntityId && j.Status == pending && !j.Ready && j.ClaimedAt == taken)
                .ExecuteUpdateAsync(set => set.SetProperty(j => j.Ready, true).SetProperty(j => j.ClaimedAt, (DateTimeOffset?)null), CancellationToken.None);
            if (released > 0) dispatch.Notify();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not give back the claim on job row {Job} ({Message}); it is decided again after a lease", jobEntityId, e.Message);
        }
    }

    /// <summary>
    /// Names the attempt by its id in the assignment and its URLs (the id of the row the claim's change inserted, with the
    /// hash of its credential and its lease).
    /// </summary>
    private async Task<ClaimedAttempt> CompleteClaimAsync(StartedClaim started, long attemptId)
    {
        var key = started.Key;
        var (cache, cacheScope) = await RestorableCacheAsync(started.Assignment.Project, started.CacheScopes, started.Assignment.Job.Spec.Cache?.Key, CancellationToken.None);
        var assignment = started.Assignment with
        {
            AttemptId = attemptId,
            Artifacts = started.Artifacts.Select(a =>
                new ArchiveReference(a.Artifact.Path, AgentRoutes.Artifact(attemptId, a.Job, a.Index), a.Artifact.Size, a.Artifact.Sha256)).ToList(),
            Cache = cache.Select((a, i) => a with { Url = AgentRoutes.Cache(attemptId, i) }).ToList(),
            CacheRestoredFrom = cacheScope,
        };
        return new ClaimedAttempt(key, attemptId, assignment, started.Repository, started.ArtifactSources, started.CacheScopes);
    }

    private StartedClaim? Claim(RunChange change, string jobId, string agent, RunSecrets secrets, string credential)
    {
        var job = change.Run.Job(jobId);
        if (job.Status is not (JobStatus.Pending or JobStatus.Queued)) return null;

        var attempt = job.Start(change.Now, agent);
        var start = new AttemptStart(change.Now + Lease, TokenHasher.Hash(credential));
        change.Starts[jobId] = start;
        var project = change.Entity.Project!;
        var upstream = change.Run.Upstream(job).Select(j => j.Id).ToList();
        var scopes = RunCacheScopes.For(change.Entity, project.DefaultBranch);
        var engine = secrets.Apply(new JobAssignment
        {
            RunId = change.Run.Id, Project = project.Name, Repository = project.Repository, CommitSha = change.Entity.CommitSha,
            Job = job.Planned, Attempt = attempt.Number, ArtifactSources = upstream, CacheScopes = scopes,
        });
        var assignment = new AgentAssignment
        {
            AttemptId = 0,
            RunId = change.Entity.Id,
            Project = project.Name,
            CommitSha = change.Entity.CommitSha,
            Job = job.Planned,
            Attempt = attempt.Number,
            LeaseSeconds = (int)Math.Ceiling(Lease.TotalSeconds),
            AttemptCredential = credential,
            Cache = [],
            CacheRestoredFrom = null,
            CacheRestoreScopes = scopes.Restore,
            CacheSaveScope = scopes.Save,
            Secrets = engine.Secrets,
            MaskedValues = engine.MaskedValues.ToList(),
            SecretsWithheldReason = engine.SecretsWithheldReason,
        };
        var artifacts = upstream.SelectMany(id => ArtifactsOf(change.JobEntity(id)).Select((a, i) => (id, i, a))).ToList();
        return new StartedClaim(new AttemptKey(change.Entity.Id, jobId, attempt.Number), assignment, artifacts, project.Repository, upstream, scopes, start);
    }

    /// <summary>A job's artifacts in a stable order: the index in a download URL names one.</summary>
    public static IReadOnlyList<ArtifactEntity> ArtifactsOf(JobEntity job) => job.Artifacts.OrderBy(a => a.Id).ToList();

    /// <summary>The archives of the first scope, in order, that holds the cache key (in the cache store).</summary>
    private async Task<(IReadOnlyList<ArchiveReference>, string?)> RestorableCacheAsync(
        string project, CacheScopes scopes, string? key, CancellationToken cancellationToken)
    {
        if (key is null) return ([], null);
        foreach (var scope in scopes.Restore)
        {
            if (await caches.ReadAsync(project, scope, key, cancellationToken) is not { } saved) continue;
            return (saved.Select(e => new ArchiveReference(e.Path, "", e.Size, e.Sha256)).ToList(), scope);
        }

        return ([], null);
    }
}

/// <summary>Credentials of agents: random 256-bit strings with a prefix that says what they are; stored as SHA-256 hashes.</summary>
public static class AgentCredentials
{
    public const string RegistrationPrefix = "plg_";
    public const string AgentPrefix = "pla_";
    public const string AttemptPrefix = "plj_";

    public static bool IsAgentCredential(string token) =>
        token.StartsWith(RegistrationPrefix, StringComparison.Ordinal) || token.StartsWith(AgentPrefix, StringComparison.Ordinal) ||
        token.StartsWith(AttemptPrefix, StringComparison.Ordinal);

    public static string New(string prefix) => prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
