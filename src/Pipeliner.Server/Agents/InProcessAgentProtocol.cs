using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Environments;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>The agent protocol served inside the server process: calls go straight to the coordinator and database.</summary>
public sealed class InProcessAgentProtocol(
    IServiceScopeFactory scopes, RunCoordinator coordinator, DispatchSignal dispatch, RunEvents events, ActiveAttempts active,
    ServerMetrics metrics, ILogStore logs, DataLayout layout, IOptions<PipelinerOptions> options, TimeProvider time) : IAgentProtocol
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(5);

    private TimeSpan Lease => options.Value.Agent.LeaseDuration;

    public async Task<AgentWork?> NextAsync(AgentInfo agent, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            var notified = dispatch.Next;
            if (await TryClaimAsync(agent, cancellationToken) is { } work) return work;
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero) return null;
            await DispatchSignal.WaitAsync(notified, remaining < RecheckInterval ? remaining : RecheckInterval, cancellationToken);
        }
    }

    public async Task<bool> ExtendLeaseAsync(AttemptKey key, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var running = JobStatus.Running.ToName();
        var until = time.GetUtcNow() + Lease;
        var updated = await db.Attempts
            .Where(a => a.Job!.RunId == key.RunId && a.Job.JobId == key.JobId && a.Number == key.Attempt && a.Status == running)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.LeaseExpiresAt, until), cancellationToken);
        return updated > 0;
    }

    public Task UpdateAsync(AttemptKey key, string note, CancellationToken cancellationToken)
    {
        if (events.IsWatched(key.RunId))
            events.Publish(key.RunId, "note", JsonSerializer.Serialize(new { job = key.JobId, attempt = key.Attempt, note }, JsonSerializerOptions.Web));
        return Task.CompletedTask;
    }

    public Task LogAsync(AttemptKey key, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        // The embedded agent writes the log file under the server's data directory itself; only live viewers need the lines.
        if (!events.IsWatched(key.RunId)) return Task.CompletedTask;
        foreach (var line in lines)
        {
            events.Publish(key.RunId, "log",
                JsonSerializer.Serialize(new { job = key.JobId, attempt = key.Attempt, time = line.Timestamp, text = line.Text }, JsonSerializerOptions.Web));
        }

        return Task.CompletedTask;
    }

    public async Task DoneAsync(AttemptKey key, JobAttemptReport report, CancellationToken cancellationToken)
    {
        try
        {
            await RecordAsync(key, report, cancellationToken);
        }
        finally
        {
            active.Remove(key);
            // The embedded agent wrote the last line before reporting: the log is final.
            await logs.CompleteAsync(LogRef.For(layout, key.RunId, key.JobId, key.Attempt), CancellationToken.None);
        }
    }

    private Task RecordAsync(AttemptKey key, JobAttemptReport report, CancellationToken cancellationToken) =>
        coordinator.ChangeAsync(key.RunId, change =>
        {
            var job = change.Run.Job(key.JobId);
            // A late report for an attempt already given up (canceled, lost) changes nothing.
            if (job.Status != JobStatus.Running || job.LastAttempt?.Number != key.Attempt) return false;
            job.Finish(report.Outcome, change.Now);
            metrics.ObserveJob(report.Outcome.Status, change.Now - job.Attempts.First(a => a.Number == key.Attempt).StartedAt);
            if (job.Status != JobStatus.Succeeded) return true;
            // The artifacts are those of the last successful attempt, as on disk.
            var entity = change.JobEntity(key.JobId);
            entity.Artifacts.Clear();
            entity.Artifacts.AddRange(report.Artifacts.Select(a => new ArtifactEntity { Path = a.Path, File = a.File, Size = a.Size, Sha256 = a.Sha256 }));
            if (job.Planned.Spec.Environment is { } environment)
                change.Entity.Deployments.Add(Deployments.Record(change, job, environment, entity.Artifacts));
            return true;
        }, cancellationToken);

    private async Task<AgentWork?> TryClaimAsync(AgentInfo agent, CancellationToken cancellationToken)
    {
        List<(long RunId, string JobId, string RunsOn)> candidates;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            candidates = (await db.Jobs.AsNoTracking().Where(j => j.Ready)
                    .OrderBy(j => j.RunId).ThenBy(j => j.Position)
                    .Select(j => new { j.RunId, j.JobId, j.RunsOn })
                    .Take(200)
                    .ToListAsync(cancellationToken))
                .Select(j => (j.RunId, j.JobId, j.RunsOn)).ToList();
        }

        foreach (var candidate in candidates.Where(c => Fits(c.RunsOn, agent)))
        {
            var secrets = await SecretsOfRunAsync(candidate.RunId, cancellationToken);
            var work = await coordinator.ChangeAsync(candidate.RunId, change => Claim(change, candidate.JobId, agent, secrets), cancellationToken);
            if (work is null) continue;
            active.Add(work.Key);
            return work;
        }

        return null;
    }

    private async Task<RunSecrets> SecretsOfRunAsync(long runId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SecretVault>().ForRunAsync(runId, cancellationToken);
    }

    private AgentWork? Claim(RunChange change, string jobId, AgentInfo agent, RunSecrets secrets)
    {
        var entity = change.JobEntity(jobId);
        var job = change.Run.Job(jobId);
        if (!entity.Ready || job.Status is not (JobStatus.Pending or JobStatus.Queued)) return null;

        var attempt = job.Start(change.Now, agent.Name);
        change.Leases[jobId] = change.Now + Lease;
        var project = change.Entity.Project!;
        var assignment = secrets.Apply(new JobAssignment
        {
            RunId = change.Run.Id,
            Project = project.Name,
            Repository = project.Repository,
            CommitSha = change.Entity.CommitSha,
            Job = job.Planned,
            Attempt = attempt.Number,
            ArtifactSources = change.Run.Upstream(job).Select(j => j.Id).ToList(),
            CacheScopes = RunCacheScopes.For(change.Entity, project.DefaultBranch),
        });
        return new AgentWork(new AttemptKey(change.Entity.Id, jobId, attempt.Number), assignment, Lease);
    }

    private static bool Fits(string runsOn, AgentInfo agent) =>
        runsOn.Length == 0 || runsOn.Split(',').All(label => agent.Labels.Contains(label, StringComparer.Ordinal));
}
