using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>What became of deliveries: read through the deliveries API, or from the server's database where a test needs the row.</summary>
internal static class WebhookAssertions
{
    /// <summary>Waits until the background job has decided about the delivery, and returns the record.</summary>
    public static Task<WebhookDeliveryEntity> ProcessedDeliveryAsync(this PipelinerApp app, string deliveryId) =>
        Poll.UntilAsync(
            () => app.WithDbAsync(db => db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.Id).FirstOrDefaultAsync(d => d.DeliveryId == deliveryId)),
            delivery => delivery is not null && !DeliveryOutcomes.IsPending(delivery.Outcome),
            $"delivery {deliveryId} to be processed")!;

    public static Task<int> DeliveryCountAsync(this PipelinerApp app, string deliveryId) =>
        app.WithDbAsync(db => db.WebhookDeliveries.CountAsync(d => d.DeliveryId == deliveryId));

    public static async Task<int> RunCountAsync(this HttpClient client, string project) =>
        (await client.GetFromJsonAsync<PageView>($"/api/projects/{project}/runs", Api.Json))!.Total;

    public static async Task<WebhookView> AcceptedAsync(this HttpResponseMessage response)
    {
        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        return (await response.Content.ReadFromJsonAsync<WebhookView>(Api.Json))!;
    }

    public static async Task<DeliveryPageView> DeliveriesAsync(this HttpClient client, string project, int page = 1)
    {
        using var response = await client.GetAsync($"/api/projects/{project}/deliveries?page={page}");
        await Api.ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<DeliveryPageView>(Api.Json))!;
    }

    /// <summary>Waits until the project's newest delivery with <paramref name="deliveryId"/> has <paramref name="outcome"/>, through the API.</summary>
    public static Task<DeliveryView> WaitForDeliveryAsync(
        this HttpClient client, string project, string deliveryId, string outcome, TimeSpan? timeout = null) =>
        Poll.UntilAsync(
            async () => (await client.DeliveriesAsync(project)).Items.FirstOrDefault(d => d.DeliveryId == deliveryId),
            delivery => delivery?.Outcome == outcome,
            $"delivery {deliveryId} of {project} to be {outcome}", timeout)!;

    /// <summary>A new project whose repository has a one-job pipeline, a GitHub push delivered to it, and the delivery once it made a run.</summary>
    public static async Task<(string Project, DeliveryView Delivery)> DeliveredRunAsync(this HttpClient client, PipelinerApp app)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        var project = await client.CreateProjectAsync(app, repository);
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var deliveryId = Guid.NewGuid().ToString();
        using (var response = await client.SendAsync(
                   WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId)))
            Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        return (project, await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Run));
    }
}
