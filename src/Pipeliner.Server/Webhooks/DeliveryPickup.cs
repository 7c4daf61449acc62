using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// At start and then every <see cref="WebhookOptions.PickupInterval"/>: queues the deliveries nobody is processing — retries
/// that are due, and deliveries whose worker died (a process killed mid-fetch) once its lease has expired. Each is
/// marked queued with a conditional update first, so several servers never queue one twice at once; the claim in
/// <see cref="DeliveryProcessor"/> makes a second queueing harmless anyway. On one process, once no delivery is pending
/// at all, the next look waits until this process queues one (<see cref="DeliveryQueue.NextEnqueue"/>: every row it writes
/// is queued), or at most <see cref="IdleRecheck"/>: an idle server runs no query every few seconds (docs/performance.md).
/// </summary>
public sealed class DeliveryPickup(
    IServiceScopeFactory scopes, UnverifiedBodies bodies, DeliveryQueue queue, IDatabaseProvider database, IOptions<PipelinerOptions> options,
    TimeProvider time, ILogger<DeliveryPickup> logger) : BackgroundService
{
    private const int Batch = 100;

    /// <summary>The longest an idle pick-up on one process waits for a delivery queued here before looking again anyway.</summary>
    public static readonly TimeSpan IdleRecheck = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bodies.RemoveLeftovers();
        var interval = options.Value.Webhooks.PickupInterval;
        while (true)
        {
            // Taken before looking: a delivery queued while the pick-up looks is not missed by the wait after it.
            var enqueued = queue.NextEnqueue;
            var pending = true;
            try
            {
                await PickUpAsync(stoppingToken);
                pending = database.SupportsReplicas || await AnyPendingAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not look for webhook deliveries to process: {Reason}", e.Message);
            }

            if (!pending) await DispatchSignal.WaitAsync(enqueued, IdleRecheck, stoppingToken);
            await Task.Delay(interval, time, stoppingToken);
        }
    }

    /// <summary>Whether a delivery is still to be processed (received or to be retried): one read of the outcome index.</summary>
    public async Task<bool> AnyPendingAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.WebhookDeliveries.AnyAsync(d => DeliveryOutcomes.Pending.Contains(d.Outcome), cancellationToken);
    }

    /// <returns>The delivery rows queued.</returns>
    public async Task<IReadOnlyList<long>> PickUpAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var now = time.GetUtcNow();
        var candidates = await DeliveryLease.Abandoned(db, now).OrderBy(d => d.Id).Select(d => d.Id).Take(Batch).ToListAsync(cancellationToken);
        var queued = new List<long>();
        foreach (var id in candidates)
        {
            var until = queue.QueuedUntil(now);
            var marked = await DeliveryLease.Abandoned(db, now).Where(d => d.Id == id)
                .ExecuteUpdateAsync(set => set.SetProperty(d => d.LeaseOwner, (string?)null).SetProperty(d => d.LeaseExpiresAt, until), cancellationToken);
            if (marked == 0) continue;
            queue.Enqueue(id);
            queued.Add(id);
        }

        if (queued.Count > 0) logger.LogInformation("Queued {Count} webhook deliveries that were due or whose worker stopped", queued.Count);
        return queued;
    }
}
