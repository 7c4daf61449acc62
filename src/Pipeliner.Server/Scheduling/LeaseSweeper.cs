using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Gives up running attempts whose server or agent died as lost: those of the previous process's embedded agent at
/// start-up, and any whose agent stopped extending its lease (<see cref="Agents.AgentHousekeeping"/>, every few seconds). A lost attempt is not the
/// job's failure: the job is queued again without using up its <c>retry</c>, at most <c>MaxLostRequeues</c> times in a
/// row (<see cref="RunJob.MarkLost"/>), and the attempt's log ends with a line saying what happened.
/// </summary>
public sealed class LeaseSweeper(
    PipelinerDbContext db, RunCoordinator coordinator, ILogStore logs, IOptions<PipelinerOptions> options, TimeProvider time,
    Agents.ActiveAttempts active, ILogger<LeaseSweeper> logger)
{
    /// <summary>The minutely recurring job of earlier versions, removed at start (housekeeping sweeps more often).</summary>
    public const string FormerRecurringJobId = "sweep-expired-leases";

    public const string RestartMessage = "lost: the server stopped while the attempt ran (killed, crashed or restarted)";

    /// <param name="agent">Only attempts of this agent, whatever their lease (an agent known to be gone).</param>
    /// <param name="why">What the log and the attempt say about an agent known to be gone (default: the server restarted).</param>
    public async Task SweepAsync(string? agent, CancellationToken cancellationToken, string? why = null)
    {
        var running = JobStatus.Running.ToName();
        var now = time.GetUtcNow();
        var lost = await db.Attempts.AsNoTracking()
            .Where(a => a.Status == running && (agent != null ? a.Agent == agent : a.LeaseExpiresAt == null || a.LeaseExpiresAt < now))
            .Select(a => new { a.Job!.RunId, a.Job.JobId, a.Number, a.Agent, a.LogPath })
            .ToListAsync(cancellationToken);
        foreach (var attempt in lost)
        {
            var message = agent is null ? $"lost: its agent {attempt.Agent} stopped answering (lease expired)" : why ?? RestartMessage;
            var reason = await coordinator.ChangeAsync(attempt.RunId, change =>
            {
                var job = change.Run.Job(attempt.JobId);
                if (job.Status != JobStatus.Running || job.LastAttempt?.Number != attempt.Number) return null;
                job.MarkLost(message, options.Value.Agent.MaxLostRequeues, change.Now);
                return job.Reason;
            }, cancellationToken);
            if (reason is null) continue;
            // Its agent is gone: nothing more comes for its log, which is final now.
            active.Remove(new Agents.AttemptKey(attempt.RunId, attempt.JobId, attempt.Number));

            logger.LogWarning("Attempt {Attempt} of job {Job} in run {Run}: {Reason}", attempt.Number, attempt.JobId, attempt.RunId, reason);
            await EndLogAsync(new LogRef(attempt.RunId, attempt.JobId, attempt.Number, attempt.LogPath), reason);
        }
    }

    /// <summary>Every expired lease (a replica's start); also the entry point earlier versions' recurring job named.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task SweepExpiredAsync() => SweepAsync(agent: null, CancellationToken.None);

    private async Task EndLogAsync(LogRef log, string reason)
    {
        try
        {
            await logs.AppendNoteAsync(log, $"pipeliner: {reason}", CancellationToken.None);
            await logs.CompleteAsync(log, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The state change is saved; a log that cannot be written to must not undo it.
            logger.LogWarning(e, "Could not end the log {Log} with the reason the attempt was lost", log.Path);
        }
    }
}
