using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>What became of deliveries: read from the server's database, since the run is made in the background.</summary>
internal static class WebhookAssertions
{
    /// <summary>Waits until the background job has decided about the delivery, and returns the record.</summary>
    public static Task<WebhookDeliveryEntity> ProcessedDeliveryAsync(this PipelinerApp app, string deliveryId) =>
        Poll.UntilAsync(
            () => app.WithDbAsync(db => db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.DeliveryId == deliveryId)),
            delivery => delivery is not null && delivery.Outcome != WebhookOutcomes.Received,
            $"delivery {deliveryId} to be processed")!;

    public static Task<int> DeliveryCountAsync(this PipelinerApp app, string deliveryId) =>
        app.WithDbAsync(db => db.WebhookDeliveries.CountAsync(d => d.DeliveryId == deliveryId));

    public static async Task<int> RunCountAsync(this HttpClient client, string project) =>
        (await client.GetFromJsonAsync<PageView>($"/api/projects/{project}/runs", Api.Json))!.Total;

    public static async Task<WebhookView> AcceptedAsync(this HttpResponseMessage response)
    {
        await Api.ExpectAsync(response, System.Net.HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<WebhookView>(Api.Json))!;
    }
}
