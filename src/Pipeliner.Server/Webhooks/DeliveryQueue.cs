using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Hands a delivery to one of this process's delivery workers (<see cref="WebhookOptions.Workers"/>), each processing one
/// delivery row at a time with <see cref="DeliveryProcessor"/> in a scope of its own. The row says it is queued until one
/// lease duration from now, so that <see cref="DeliveryPickup"/> leaves it alone meanwhile; should it never be processed
/// (the process died), the pick-up queues it again after that.
/// </summary>
/// <remarks>
/// The stored row is what makes a delivery safe, not the queue, which is memory only: a delivery the process had queued when
/// it died is queued again by the pick-up (of any replica) once the row's lease has expired, and the claim on the row
/// (<see cref="DeliveryLease"/>) makes a delivery queued twice harmless. Deliveries once went through a Hangfire job each:
/// about five writes to Hangfire's storage per delivery (create, fetch, processing, succeeded, expiry), each a commit with
/// its flush, for a queue that the row already is.
/// </remarks>
public sealed class DeliveryQueue(IServiceScopeFactory scopes, IOptions<PipelinerOptions> options, ILogger<DeliveryQueue> logger)
    : BackgroundService
{
    private readonly Channel<long> _waiting = Channel.CreateUnbounded<long>();
    private int _processing;

    public DateTimeOffset QueuedUntil(DateTimeOffset now) => now + options.Value.Webhooks.LeaseDuration;

    public void Enqueue(long deliveryId) => _waiting.Writer.TryWrite(deliveryId);

    /// <summary>Deliveries being processed by this process's workers now.</summary>
    public int Processing => Volatile.Read(ref _processing);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Webhooks.Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _waiting.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_waiting.Reader.TryRead(out var deliveryId)) await ProcessAsync(deliveryId);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops: queued deliveries are picked up again from their rows at the next start.
        }
    }

    private async Task ProcessAsync(long deliveryId)
    {
        Interlocked.Increment(ref _processing);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<DeliveryProcessor>().ProcessAsync(deliveryId);
        }
        catch (Exception e)
        {
            // The row keeps the delivery: its lease expires and the pick-up queues it again.
            logger.LogError(e, "Delivery row {Delivery} could not be processed now; it is picked up again when its lease expires", deliveryId);
        }
        finally
        {
            Interlocked.Decrement(ref _processing);
        }
    }
}
