using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// What lets an idle server's pick-up of webhook deliveries wait instead of querying every few seconds: on one process,
/// once no delivery is pending, it waits for this process to queue one, which every accepted webhook's row is; while one
/// is pending (a retry to come), it looks every interval as before.
/// </summary>
public sealed class DeliveryPickupTests(DeliveryPickupTests.App app) : IClassFixture<DeliveryPickupTests.App>
{
    /// <summary>No agent: a webhook's run stays queued.</summary>
    public sealed class App() : PipelinerApp(agentCapacity: 0);

    private DeliveryPickup Pickup => app.Services.GetServices<IHostedService>().OfType<DeliveryPickup>().Single();

    [Fact]
    public async Task NextEnqueue_Completes_WhenAWebhookIsAccepted()
    {
        using var client = app.Client();
        var next = app.Services.GetRequiredService<DeliveryQueue>().NextEnqueue;

        await client.DeliveredRunAsync(app);

        Assert.True(next.IsCompleted, "the delivery's row was processed without ringing the pick-up's wait");
    }

    [Fact]
    public async Task AnyPendingAsync_IsTrue_OnlyWhileADeliveryIsToBeProcessed()
    {
        using var client = app.Client();
        var (_, delivery) = await client.DeliveredRunAsync(app);
        Assert.False(await Pickup.AnyPendingAsync(CancellationToken.None), "a delivery that made its run still counted as pending");

        // A retry to come (an hour away, so that the pick-up leaves it alone meanwhile).
        await app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
            .SetProperty(d => d.Outcome, DeliveryOutcomes.Retrying).SetProperty(d => d.NextAttemptAt, DateTimeOffset.UtcNow.AddHours(1))));
        try
        {
            Assert.True(await Pickup.AnyPendingAsync(CancellationToken.None), "a delivery to be retried did not count as pending");
        }
        finally
        {
            await app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
                .SetProperty(d => d.Outcome, DeliveryOutcomes.Run).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)));
        }

        Assert.False(await Pickup.AnyPendingAsync(CancellationToken.None));
    }
}
