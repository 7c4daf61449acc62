using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Dashboard;

/// <summary>An attempt of a job and its log in the log store.</summary>
public sealed record AttemptLog(AttemptEntity Attempt, LogRef Log)
{
    public bool Complete => Attempt.FinishedAt is not null;

    /// <summary>The attempt (default: the newest) of a run's job, or why there is none.</summary>
    public static async Task<(AttemptLog? Log, string? Problem)> FindAsync(
        PipelinerDbContext db, long runId, string job, int? attempt, CancellationToken cancellationToken)
    {
        var attempts = await db.Attempts.AsNoTracking()
            .Where(a => a.Job!.RunId == runId && a.Job.JobId == job)
            .OrderBy(a => a.Number)
            .ToListAsync(cancellationToken);
        if (attempts.Count == 0)
        {
            var jobExists = await db.Jobs.AnyAsync(j => j.RunId == runId && j.JobId == job, cancellationToken);
            return (null, jobExists ? $"job '{job}' has not started yet" : $"run {runId} has no job '{job}'");
        }

        var chosen = attempt is { } number ? attempts.FirstOrDefault(a => a.Number == number) : attempts[^1];
        if (chosen is null) return (null, $"job '{job}' has no attempt {attempt}");
        return (new AttemptLog(chosen, LogRef.Of(runId, job, chosen)), null);
    }
}
