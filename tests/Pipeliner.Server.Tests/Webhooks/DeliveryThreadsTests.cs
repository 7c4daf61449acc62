using System.Net;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// A real server process moves journaled deliveries into rows and creates their runs on threads of their own, niced
/// below the server's (<c>Pipeliner:Webhooks:BackgroundNice</c>, 10 by default), so that a burst's intake is answered
/// first; with 0 that work runs on the thread pool as before. Either way the delivery becomes its run.
/// </summary>
public sealed class DeliveryThreadsTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-delivery-threads-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Deliver_CreatesTheRunOnNicedThreads_WithTheDefaultSettings()
    {
        if (!OperatingSystem.IsLinux()) return; // nice values per thread are Linux's
        await using var server = await DeliveredAsync(settings: []);

        var threads = ProcessThreads.Of(server.ProcessId);
        var serverNice = threads.Single(t => t.Id == server.ProcessId).Nice;
        var delivery = threads.Where(t => t.Name.StartsWith("Delivery ", StringComparison.Ordinal)).ToList();
        // Two workers (Pipeliner:Webhooks:Workers) and the journal's transfer.
        Assert.Equal(3, delivery.Count);
        Assert.All(delivery, t => Assert.Equal(Math.Min(19, serverNice + 10), t.Nice));
        Assert.DoesNotContain("Exception", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_CreatesTheRunOnThePool_WhenBackgroundNiceIsZero()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var server = await DeliveredAsync(settings: ["--Pipeliner:Webhooks:BackgroundNice=0"]);

        Assert.DoesNotContain(ProcessThreads.Of(server.ProcessId), t => t.Name.StartsWith("Delivery ", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", server.Output, StringComparison.Ordinal);
    }

    /// <summary>A server that has answered a push and made its run.</summary>
    private async Task<ServerProcess> DeliveredAsync(string[] settings)
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("shop"), Pipelines.OneJob);
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();
        var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0, settings: settings);
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("shop", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        using (var response = await client.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
            Assert.Equal("accepted", (await response.AcceptedAsync()).Status);

        var delivery = await client.WaitForDeliveryAsync("shop", deliveryId, DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));
        Assert.NotNull(delivery.RunId);
        return server;
    }
}
