using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Finds running attempts whose agent stopped extending its lease, and gives them up as lost: the job is queued
/// again the first time, failed the second. Runs as a Hangfire recurring job and once at start-up.
/// </summary>
public sealed class LeaseSweeper(PipelinerDbContext db, RunCoordinator coordinator, TimeProvider time, ILogger<LeaseSweeper> logger)
{
    public const int MaxRequeues = 1;

    /// <param name="agent">Only attempts of this agent, whatever their lease (an agent known to be gone).</param>
    public async Task SweepAsync(string? agent, CancellationToken cancellationToken)
    {
        var running = JobStatus.Running.ToName();
        var now = time.GetUtcNow();
        var lost = await db.Attempts.AsNoTracking()
            .Where(a => a.Status == running && (agent != null ? a.Agent == agent : a.LeaseExpiresAt == null || a.LeaseExpiresAt < now))
            .Select(a => new { a.Job!.RunId, a.Job.JobId, a.Number })
            .ToListAsync(cancellationToken);
        foreach (var attempt in lost)
        {
            logger.LogWarning("Attempt {Attempt} of job {Job} in run {Run} lost its agent", attempt.Number, attempt.JobId, attempt.RunId);
            await coordinator.ChangeAsync(attempt.RunId, change =>
            {
                var job = change.Run.Job(attempt.JobId);
                if (job.Status != JobStatus.Running || job.LastAttempt?.Number != attempt.Number) return false;
                var entity = change.JobEntity(attempt.JobId);
                entity.LostCount++;
                job.MarkLost("lost: its agent stopped answering", requeue: entity.LostCount <= MaxRequeues, change.Now);
                return true;
            }, cancellationToken);
        }
    }

    /// <summary>Hangfire entry point: every expired lease; not retried, it runs again within a minute.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task SweepExpiredAsync() => SweepAsync(agent: null, CancellationToken.None);
}
