using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Removes agents' uploads (<see cref="IAttemptUploads"/>) that no report of the attempt's end will ever take: those of
/// attempts that ended without them (lost, canceled, refused, or done through another replica that could not remove
/// them), of running attempts whose lease expired, and of attempts that no longer exist (their project was deleted).
/// Uploads of a running attempt under its lease stay, and so, for <see cref="Grace"/>, do those of an attempt that ended
/// or whose lease expired just now (a report being recorded still reads them). A Hangfire recurring job
/// (<see cref="RecurringJobId"/>, every ten minutes), on either store.
/// </summary>
public sealed class UploadSweeper(PipelinerDbContext db, IAttemptUploads uploads, TimeProvider time, ILogger<UploadSweeper> logger)
{
    public const string RecurringJobId = "sweep-orphan-uploads";
    public const string Schedule = "*/10 * * * *";
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);
    private const int Batch = 500;

    /// <summary>Removes the uploads no attempt will report; returns how many attempts' uploads went.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var held = await uploads.AttemptsAsync(cancellationToken);
        if (held.Count == 0) return 0;
        var running = JobStatus.Running.ToName();
        var since = time.GetUtcNow() - Grace;
        var kept = new HashSet<long>();
        foreach (var batch in held.Chunk(Batch))
        {
            kept.UnionWith(await db.Attempts.AsNoTracking()
                .Where(a => batch.Contains(a.Id))
                .Where(a => a.Status == running ? a.LeaseExpiresAt != null && a.LeaseExpiresAt >= since : a.FinishedAt != null && a.FinishedAt >= since)
                .Select(a => a.Id).ToListAsync(cancellationToken));
        }

        var removed = 0;
        foreach (var attempt in held.Where(id => !kept.Contains(id)))
        {
            try
            {
                await uploads.DeleteAsync(attempt, cancellationToken);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Could not remove the uploads of attempt {Attempt}; the next sweep tries again", attempt);
            }
        }

        if (removed > 0) logger.LogInformation("Removed the uploads of {Count} attempts that will not report them", removed);
        return removed;
    }

    /// <summary>Hangfire entry point; not retried, it runs again within ten minutes.</summary>
    [AutomaticRetry(Attempts = 0)]
    public Task SweepScheduledAsync() => SweepAsync(CancellationToken.None);
}
