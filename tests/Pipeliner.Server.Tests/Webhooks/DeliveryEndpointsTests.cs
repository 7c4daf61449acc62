using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>Retries that run out, redelivery by an admin, and the audit of it, on a server whose retries come quickly.</summary>
public abstract class DeliveryEndpointsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task Deliveries_ShowFailedWithTheErrorAfterEveryRetry_WhenTheRepositoryCannotBeRead()
    {
        using var client = app.Client();
        var project = app.NewProjectName("unreachable");
        using (var created = await client.PostProjectAsync(project, $"git://127.0.0.1:{ServerProcess.FreePort()}/gone"))
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), Secrets.Webhook, "unreachable-1"));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await client.WaitForDeliveryAsync(project, "unreachable-1", DeliveryOutcomes.Failed);
        Assert.EndsWith("(after 3 attempts)", delivery.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", delivery.Message, StringComparison.Ordinal);
        Assert.Null(delivery.NextAttemptAt);
    }

    [Fact]
    public async Task Redeliver_CreatesASecondRunAndAuditsIt_WhenAnAdminAsks()
    {
        using var client = app.Client();
        var (project, delivery) = await client.DeliveredRunAsync(app);
        Assert.True(delivery.Redeliverable);

        using var response = await client.PostAsync($"/api/projects/{project}/deliveries/{delivery.Id}/redeliver", null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var again = (await response.Content.ReadFromJsonAsync<DeliveryView>(Api.Json))!;
        Assert.Equal((delivery.Id, delivery.DeliveryId, DeliveryOutcomes.Received), (again.RedeliveryOf, again.DeliveryId, again.Outcome));
        var processed = await Poll.UntilAsync(async () => (await client.DeliveriesAsync(project)).Items.First(d => d.Id == again.Id),
            d => d.Outcome == DeliveryOutcomes.Run, "the redelivery to make a run");
        Assert.NotEqual(delivery.RunId, processed.RunId);
        Assert.Equal(delivery.RunNumber + 1, processed.RunNumber);
        Assert.Equal(2, await client.RunCountAsync(project));
        var original = (await client.DeliveriesAsync(project)).Items.Single(d => d.Id == delivery.Id);
        Assert.Equal((DeliveryOutcomes.Run, delivery.RunId), (original.Outcome, original.RunId));
        var audit = await app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(e => e.Project == project && e.Action == "delivery.redeliver"));
        Assert.Equal($"delivery {delivery.Id}", audit.Target);
    }

    [Fact]
    public async Task Redeliver_Returns409_WhenTheDeliveryKeptNoEvent()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        var fixture = WebhookDelivery.Cases["github/ping.json"];
        using (var ping = await client.SendAsync(WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), Secrets.Webhook, "ping")))
            await Api.ExpectAsync(ping, HttpStatusCode.Accepted);
        var ignored = Assert.Single((await client.DeliveriesAsync(project)).Items);
        Assert.False(ignored.Redeliverable);

        using var response = await client.PostAsync($"/api/projects/{project}/deliveries/{ignored.Id}/redeliver", null);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("ignored", problem.Detail(), StringComparison.Ordinal);
        Assert.Single((await client.DeliveriesAsync(project)).Items);
    }

    [Fact]
    public async Task Redeliver_Returns404_WhenTheDeliveryIsAnotherProjects()
    {
        using var client = app.Client();
        var (_, delivery) = await client.DeliveredRunAsync(app);
        var other = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await client.PostAsync($"/api/projects/{other}/deliveries/{delivery.Id}/redeliver", null);

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Deliveries_Returns403_WhenTheCallerIsAViewer()
    {
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));

        using var refused = await viewer.GetAsync($"/api/projects/{project}/deliveries");
        using var allowed = await developer.GetAsync($"/api/projects/{project}/deliveries");

        await Api.ProblemAsync(refused, HttpStatusCode.Forbidden);
        await Api.ExpectAsync(allowed, HttpStatusCode.OK);
    }
}

/// <summary>No agent; a failed delivery is tried twice more, 100 ms apart, and the pick-up looks every 100 ms.</summary>
public class AppWithQuickRetries : PipelinerApp
{
    public AppWithQuickRetries()
        : this(null)
    {
    }

    private AppWithQuickRetries(TestDatabase? database)
        : base(agentCapacity: 0, new Dictionary<string, string>
        {
            ["Pipeliner:Webhooks:RetryDelays:0"] = "00:00:00.100",
            ["Pipeliner:Webhooks:RetryDelays:1"] = "00:00:00.100",
            ["Pipeliner:Webhooks:PickupInterval"] = "00:00:00.100",
        }, database)
    {
    }

    public sealed class OnPostgres() : AppWithQuickRetries(TestDatabase.Postgres);
}

/// <summary>The tests above on SQLite.</summary>
public sealed class DeliveryEndpointsTests(AppWithQuickRetries app) : DeliveryEndpointsTests<AppWithQuickRetries>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class DeliveryEndpointsOnPostgresTests(AppWithQuickRetries.OnPostgres app) : DeliveryEndpointsTests<AppWithQuickRetries.OnPostgres>(app);
