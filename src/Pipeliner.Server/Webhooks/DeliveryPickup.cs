using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// At start and then every <see cref="WebhookOptions.PickupInterval"/>: queues the deliveries nobody is processing — retries
/// that are due, and deliveries whose worker died (a process killed mid-fetch) once its lease has expired. Each is
/// marked queued with a conditional update first, so several servers never queue one twice at once; the claim in
/// <see cref="DeliveryProcessor"/> makes a second queueing harmless anyway.
/// </summary>
public sealed class DeliveryPickup(
    IServiceScopeFactory scopes, UnverifiedBodies bodies, DeliveryQueue queue, IOptions<PipelinerOptions> options, TimeProvider time,
    ILogger<DeliveryPickup> logger) : BackgroundService
{
    private const int Batch = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bodies.RemoveLeftovers();
        using var timer = new PeriodicTimer(options.Value.Webhooks.PickupInterval, time);
        do
        {
            try
            {
                await PickUpAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not look for webhook deliveries to process: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
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
