using System.Threading.Channels;
using Hangfire;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Hands a delivery to a background worker: one Hangfire job per delivery row. The row says it is queued until one
/// lease duration from now, so that <see cref="DeliveryPickup"/> leaves it alone meanwhile; should the job never run
/// (the process died), the pick-up queues it again after that.
/// </summary>
/// <remarks>
/// Creating a Hangfire job writes to Hangfire's storage, which waits for that storage's lock while runs execute: it is
/// done here, off the request, so that a webhook is answered as soon as its row is stored. The stored row is what makes
/// a delivery safe, not the job: one never created (the process died first, or the storage refused it) is queued again
/// by the pick-up once the row's lease has expired.
/// </remarks>
public sealed class DeliveryQueue(IBackgroundJobClient jobs, IOptions<PipelinerOptions> options, ILogger<DeliveryQueue> logger)
    : BackgroundService
{
    private readonly Channel<long> _waiting = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleReader = true });

    public DateTimeOffset QueuedUntil(DateTimeOffset now) => now + options.Value.Webhooks.LeaseDuration;

    public void Enqueue(long deliveryId) => _waiting.Writer.TryWrite(deliveryId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var deliveryId in _waiting.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                jobs.Enqueue<DeliveryProcessor>(processor => processor.ProcessAsync(deliveryId));
            }
            catch (Exception e)
            {
                logger.LogWarning("Delivery {Delivery} could not be queued now ({Reason}); it is picked up again when its lease expires",
                    deliveryId, e.Message);
            }
        }
    }
}
