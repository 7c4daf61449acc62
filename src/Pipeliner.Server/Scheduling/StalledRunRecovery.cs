using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// The safety net under the two steps that a fault (the database unreachable, the process killed) can cut short halfway,
/// leaving a run that nothing moves on until a server starts again:
/// <list type="bullet">
/// <item>a claim that took a job's ready flag but never started its attempt, and could not give the flag back: the job is
/// pending, no agent can take it, and its claim time is older than a lease;</item>
/// <item>a run stored (its creation committed) whose first advance failed: its jobs are still queued, a lease after it
/// was created.</item>
/// </list>
/// Each such run is read again and advanced (<see cref="RunCoordinator.ReviseAsync"/>), which decides every waiting job
/// again, as at start-up. Run by every replica's <c>AgentHousekeeping</c>; two replicas reviving the same run at once
/// take turns under the run's lock, and the second finds nothing to change.
/// </summary>
public sealed class StalledRunRecovery(
    PipelinerDbContext db, RunCoordinator coordinator, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<StalledRunRecovery> logger)
{
    /// <summary>Revises the stalled runs; how many there were.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? before = time.GetUtcNow() - options.Value.Agent.LeaseDuration;
        var pending = JobStatus.Pending.ToName();
        var queued = JobStatus.Queued.ToName();
        string[] finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
        var claims = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == pending && !j.Ready && j.ClaimedAt != null && j.ClaimedAt < before)
            .Select(j => new { j.Id, j.RunId, j.ClaimedAt })
            .ToListAsync(cancellationToken);
        var unstarted = await db.Jobs.AsNoTracking()
            .Where(j => j.Status == queued && !finished.Contains(j.Run!.Status) && j.Run.CreatedAt < before)
            .Select(j => j.RunId).Distinct()
            .ToListAsync(cancellationToken);
        var runs = claims.Select(c => c.RunId).Concat(unstarted).Distinct().Order().ToList();
        foreach (var runId in runs)
        {
            logger.LogWarning("Run {RunId} stalled ({What}); deciding its jobs again", runId,
                unstarted.Contains(runId) ? "never advanced after it was stored" : "a claim on a job never started it");
            try
            {
                await coordinator.ReviseAsync(runId, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && !Data.Providers.DatabaseErrors.IsUnavailable(e))
            {
                // One run that cannot be advanced must not hold up the others; it is tried again at the next pass.
                logger.LogError(e, "Run {RunId} could not be advanced again", runId);
            }
        }

        // A job the revision left waiting (not ready: its needs, an approval) keeps no claim time, unless a new claim took it
        // meanwhile.
        foreach (var claim in claims)
        {
            await db.Jobs.Where(j => j.Id == claim.Id && j.ClaimedAt == claim.ClaimedAt)
                .ExecuteUpdateAsync(set => set.SetProperty(j => j.ClaimedAt, (DateTimeOffset?)null), cancellationToken);
        }

        return runs.Count;
    }
}
