using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>Every real payload in shared/fixtures/webhooks, delivered as its forge sends it and signed over the file bytes.</summary>
public class WebhookFixtureTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public void Cases_CoverEveryFixtureFile_WhenTheFixturesAreRead()
    {
        Assert.Equal(WebhookFixtures.All(), WebhookDelivery.Cases.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(WebhookDelivery.Files), MemberType = typeof(WebhookDelivery))]
    public async Task Deliver_Returns202_WhenTheFixtureIsSignedWithTheProjectsSecret(string file)
    {
        var fixture = WebhookDelivery.Cases[file];
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, fixture.Forge, hint: fixture.Forge);
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(file), Secrets.Webhook, deliveryId));

        var answer = await response.AcceptedAsync();
        var expected = fixture.Outcome switch
        {
            FixtureOutcome.Run => "accepted",
            FixtureOutcome.Pong => "pong",
            _ => "ignored",
        };
        Assert.Equal(expected, answer.Status);
        if (fixture.Outcome == FixtureOutcome.Run)
        {
            Assert.Equal(deliveryId, answer.Delivery);
            // On SQLite the row is written right after the answer (from the intake's journal): it comes, once.
            await Poll.UntilAsync(() => app.DeliveryCountAsync(deliveryId), count => count > 0, $"delivery {deliveryId} to be stored");
            Assert.Equal(1, await app.DeliveryCountAsync(deliveryId));
        }
        else
        {
            // Nothing to build: recorded as ignored, so no run now or later.
            Assert.Equal(DeliveryOutcomes.Ignored, Assert.Single((await client.DeliveriesAsync(project)).Items).Outcome);
            Assert.Equal(0, await client.RunCountAsync(project));
        }
    }

    [Theory]
    [MemberData(nameof(WebhookDelivery.FilesThatRun), MemberType = typeof(WebhookDelivery))]
    public async Task Deliver_CreatesARunAtTheCommit_WhenTheFixtureNamesARealCommit(string file)
    {
        var fixture = WebhookDelivery.Cases[file];
        var repository = app.NewRepository(Pipelines.OneJob);
        var commit = repository.Commit("the pushed commit", new Dictionary<string, string?> { ["pushed.txt"] = file });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, fixture.Forge, hint: fixture.Forge);
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, commit), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(DeliveryOutcomes.Run, delivery.Outcome);
        var run = await client.GetRunAsync(delivery.RunId!.Value);
        Assert.Equal(commit, run.Commit);
        Assert.Equal(project, run.Project);
        Assert.Equal($"webhook {deliveryId}", run.Trigger);
        var expectedEvent = file.Contains("tag", StringComparison.Ordinal) ? "tag"
            : file.Contains("pull", StringComparison.Ordinal) || file.Contains("merge", StringComparison.Ordinal) ? "pull_request"
            : "push";
        Assert.Equal(expectedEvent, run.Event);
        Assert.Equal(expectedEvent == "tag", run.Tag is not null);
        Assert.Equal(expectedEvent != "tag", run.Branch is not null);
        Assert.Equal(["build"], run.Jobs.Select(j => j.Id));
    }
}
