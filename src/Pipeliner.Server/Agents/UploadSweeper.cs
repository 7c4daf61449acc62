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
/// (<see cref="RecurringJobId"/>, every ten minutes), on either store, while any attempt holds uploads
/// (<see cref="UploadSweepSchedule"/>).
/// </summary>
public sealed class UploadSweeper(
    PipelinerDbContext db, IAttemptUploads uploads, UploadSweepSchedule schedule, TimeProvider time, ILogger<UploadSweeper> logger)
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

    /// <summary>Hangfire entry point; not retried, it runs again within ten minutes. Off the schedule once no upload is left.</summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepScheduledAsync()
    {
        await SweepAsync(CancellationToken.None);
        if ((await uploads.AttemptsAsync(CancellationToken.None)).Count > 0) return;
        schedule.Disarm();
        // An upload that started after the look above arms the sweep again itself, after this; one that started before the
        // second look is seen by it.
        await ArmIfHeldAsync(CancellationToken.None);
    }

    /// <summary>Puts the sweep on the schedule when some attempt holds uploads (at start: those a previous process left).</summary>
    public async Task ArmIfHeldAsync(CancellationToken cancellationToken)
    {
        if ((await uploads.AttemptsAsync(cancellationToken)).Count > 0) schedule.Arm();
    }
}
