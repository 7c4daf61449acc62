using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// The recurring job that keeps a forge's final word right after a long outage: a context whose newest state was never
/// accepted, and whose deliveries have been quiet for longer than any retry backoff (Hangfire gave up, or the delivery
/// was never enqueued), gets its newest state delivered again. States older than the give-up age are left alone.
/// Scheduled only while something is unsettled (<see cref="ForgeStatusResendSchedule"/>): a pass that finds nothing worth
/// sending, now or after a backoff, takes itself off the schedule.
/// </summary>
public sealed class ForgeStatusRedelivery(
    PipelinerDbContext db, IBackgroundJobClient jobs, ForgeStatusResendSchedule schedule, IOptions<PipelinerOptions> options, TimeProvider time,
    ILogger<ForgeStatusRedelivery> logger)
{
    public const string RecurringJobId = "resend-unsettled-forge-statuses";

    /// <summary>At most this many contexts per sweep, oldest first; the next sweep takes the rest.</summary>
    private const int Batch = 500;

    /// <summary>Enqueues a delivery of the newest update of every context that is due again; answers their ids.</summary>
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<IReadOnlyList<long>> ResendUnsettledAsync()
    {
        var settings = options.Value.ForgeStatuses;
        var now = time.GetUtcNow();
        var (recent, more) = await UnsettledAsync(now);
        if (recent.Count == 0 && !more)
        {
            schedule.Disarm();
            // A delivery that failed after the look above arms the pass again itself, after this; one that failed before the
            // second look is seen by it.
            if ((await UnsettledAsync(now)).Recent.Count > 0) schedule.Arm();
            return [];
        }

        if (recent.Count == 0) return [];

        var contextIds = recent.Select(u => u.ContextId).ToList();
        var tries = await db.ForgeStatusAttempts.AsNoTracking()
            .Where(a => contextIds.Contains(a.Update!.ContextId) && a.Update.Sequence > a.Update.Context!.SettledSequence)
            .Select(a => new { a.Update!.ContextId, a.At })
            .ToListAsync();
        // Tries of the states not settled yet: the ones a delivery chain may still be retrying.
        var lastTry = tries.GroupBy(t => t.ContextId).ToDictionary(g => g.Key, g => g.Max(t => t.At));

        var due = recent
            .Where(u => now - Max(u.CreatedAt, lastTry.GetValueOrDefault(u.ContextId)) >= settings.ResendAfter)
            .Select(u => u.Id)
            .ToList();
        foreach (var updateId in due) jobs.Enqueue<ForgeStatusDelivery>(delivery => delivery.DeliverAsync(updateId));
        if (due.Count > 0) logger.LogInformation("Sending {Count} commit statuses again that their forge never accepted", due.Count);
        return due;
    }

    /// <summary>Puts the pass on the schedule at start when a previous process left a state unsettled that is worth sending.</summary>
    public async Task ArmIfUnsettledAsync()
    {
        if ((await UnsettledAsync(time.GetUtcNow())).Recent.Count > 0) schedule.Arm();
    }

    /// <summary>
    /// The newest update of every context not settled up to it and younger than the give-up age (the oldest
    /// <see cref="Batch"/> looked at), and whether there were more such contexts than one batch holds.
    /// </summary>
    private async Task<(List<Unsettled> Recent, bool More)> UnsettledAsync(DateTimeOffset now)
    {
        var oldestWorthSending = now - options.Value.ForgeStatuses.GiveUpAfter;
        var newest = await db.ForgeStatusUpdates.AsNoTracking()
            .Where(u => u.Sequence == u.Context!.Sequence && u.Context.SettledSequence < u.Sequence)
            .OrderBy(u => u.Id).Take(Batch)
            .Select(u => new Unsettled(u.Id, u.ContextId, u.CreatedAt))
            .ToListAsync();
        return (newest.Where(u => u.CreatedAt > oldestWorthSending).ToList(), newest.Count == Batch);
    }

    private sealed record Unsettled(long Id, long ContextId, DateTimeOffset CreatedAt);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
