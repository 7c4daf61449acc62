using Hangfire;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Hands a delivery to a background worker: one Hangfire job per delivery row. The row says it is queued until one
/// lease duration from now, so that <see cref="DeliveryPickup"/> leaves it alone meanwhile; should the job never run
/// (the process died), the pick-up queues it again after that.
/// </summary>
public sealed class DeliveryQueue(IBackgroundJobClient jobs, IOptions<PipelinerOptions> options)
{
    public DateTimeOffset QueuedUntil(DateTimeOffset now) => now + options.Value.Webhooks.LeaseDuration;

    public void Enqueue(long deliveryId) => jobs.Enqueue<DeliveryProcessor>(processor => processor.ProcessAsync(deliveryId));
}
