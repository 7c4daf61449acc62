using System.Net;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// On SQLite an accepted delivery is answered once its entry is in the intake's journal (<c>intake.db</c>), and its row is
/// written right after: a real server process, stopped with the entry left (the state a kill -9 between the <c>202</c> and
/// the row leaves), stores and runs the delivery after its restart (an entry of a project deleted since dropped), and the
/// forge's redelivery is a duplicate.
/// </summary>
public sealed class WebhookJournalTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-webhook-journal-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Restart_StoresAndRunsTheDelivery_WhenTheServerStoppedAfterJournalingItsAnswer()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("shop"), Pipelines.OneJob);
        var dataDir = _directory.Combine("data");
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();

        await using (var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 0))
        {
            using var client = server.Client();
            using (var created = await client.PostProjectAsync("shop", repository.Path))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            await server.KillAsync();
        }

        // What the intake journals for this delivery before its 202, left by a process that died before writing the row.
        var headers = WebhookDelivery.Headers(fixture.Forge, fixture.EventName, deliveryId).ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);
        var parsed = Assert.IsType<WebhookParseResult.Event>(WebhookParser.Parse(Forge.GitHub, name => headers.GetValueOrDefault(name), body));
        using var journal = new SqliteDeliveryJournal(dataDir);
        var projectId = await ProjectIdAsync(dataDir, "shop");
        // First, one for a project deleted since: dropped, and it holds nothing up.
        Assert.NotNull(await journal.TryAppendAsync(JournaledDeliveries.Received(projectId + 1000, "of-a-deleted-project", parsed.ForgeEvent), CancellationToken.None));
        Assert.NotNull(await journal.TryAppendAsync(JournaledDeliveries.Received(projectId, deliveryId, parsed.ForgeEvent, fixture.EventName), CancellationToken.None));

        await using var restarted = await ServerProcess.StartAsync(dataDir, agentCapacity: 0);
        using var again = restarted.Client();
        var delivery = await again.WaitForDeliveryAsync("shop", deliveryId, DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));

        Assert.Equal((await again.GetRunAsync(delivery.RunId!.Value)).Number, delivery.RunNumber);
        Assert.Empty(await journal.ReadAllAsync(CancellationToken.None));
        using (var duplicate = await again.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
            Assert.Equal("duplicate", (await duplicate.AcceptedAsync()).Status);
        Assert.Equal(1, await again.RunCountAsync("shop"));
        Assert.Single((await again.DeliveriesAsync("shop")).Items);
    }

    [Fact]
    public async Task Deliver_StoresTheRowAndEmptiesTheJournal_WhenAccepted()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("shop"), Pipelines.OneJob);
        var dataDir = _directory.Combine("data");
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();
        await using var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 0);
        using var client = server.Client();
        using (var created = await client.PostProjectAsync("shop", repository.Path))
            await Api.ExpectAsync(created, HttpStatusCode.Created);

        using (var response = await client.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
        {
            var answer = await response.AcceptedAsync();
            Assert.Equal(("accepted", deliveryId), (answer.Status, answer.Delivery));
        }

        await client.WaitForDeliveryAsync("shop", deliveryId, DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));
        using var journal = new SqliteDeliveryJournal(dataDir);
        Assert.Empty(await journal.ReadAllAsync(CancellationToken.None));
        Assert.DoesNotContain("Exception", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_StoresAndRunsTheDelivery_WhenTheServerWasKilledRightAfterAnswerWithTheFlushBehind()
    {
        var repository = GitRepository.WithPipeline(_directory.Combine("shop"), Pipelines.OneJob);
        var dataDir = _directory.Combine("data");
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();

        // The flush every 10 s: the entry is in the system's cache only when the process is killed, never flushed by it.
        await using (var server = await ServerProcess.StartAsync(dataDir, agentCapacity: 0, settings: ["--Pipeliner:Webhooks:JournalFlushEvery=00:00:10"]))
        {
            using var client = server.Client();
            using (var created = await client.PostProjectAsync("shop", repository.Path))
                await Api.ExpectAsync(created, HttpStatusCode.Created);
            using (var response = await client.SendAsync(WebhookDelivery.Request("shop", fixture, body, Secrets.Webhook, deliveryId)))
                Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
            await server.KillAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(dataDir, agentCapacity: 0);
        using var again = restarted.Client();
        await again.WaitForDeliveryAsync("shop", deliveryId, DeliveryOutcomes.Run, TimeSpan.FromSeconds(60));

        Assert.Equal(1, await again.RunCountAsync("shop"));
        using var journal = new SqliteDeliveryJournal(dataDir);
        Assert.Empty(await journal.ReadAllAsync(CancellationToken.None));
    }

    private static async Task<int> ProjectIdAsync(string dataDir, string name)
    {
        await using var db = new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>()
            .UseSqlite($"Data Source={Path.Combine(dataDir, "pipeliner.db")};Pooling=False").Options);
        return await db.Projects.Where(p => p.Name == name).Select(p => p.Id).SingleAsync();
    }
}
