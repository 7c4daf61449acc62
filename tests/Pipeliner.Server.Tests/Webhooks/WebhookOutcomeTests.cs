using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>Deliveries that are accepted but create one run or none: redeliveries, excluded branches, missing or invalid pipelines.</summary>
public class WebhookOutcomeTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private async Task<(HttpClient Client, string Project, FixtureCase Fixture)> ProjectForAsync(string file, string pipeline = Pipelines.OneJob)
    {
        var fixture = WebhookDelivery.Cases[file];
        var repository = app.NewRepository(pipeline);
        var client = app.Client();
        return (client, await client.CreateProjectAsync(app, repository, fixture.Forge, hint: fixture.Forge), fixture);
    }

    [Fact]
    public async Task Deliver_Returns202_WhenTheBodyIsJustUnder25MiB()
    {
        var (client, project, fixture) = await ProjectForAsync("github/ping.json");
        using var _ = client;
        var json = WebhookFixtures.Read(fixture.File);
        var body = new byte[25 * 1024 * 1024];
        Array.Fill(body, (byte)' ');
        json.CopyTo(body, 0);

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, Guid.NewGuid().ToString()));

        Assert.Equal("pong", (await response.AcceptedAsync()).Status);
    }

    [Fact]
    public async Task Deliver_CreatesNoSecondRun_WhenTheSameDeliveryIsRedelivered()
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        var repository = app.NewRepository(Pipelines.OneJob);
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var deliveryId = Guid.NewGuid().ToString();
        using (var first = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId)))
            Assert.Equal("accepted", (await first.AcceptedAsync()).Status);
        Assert.Equal(WebhookOutcomes.RunCreated, (await app.ProcessedDeliveryAsync(deliveryId)).Outcome);

        using var again = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId));

        var answer = await again.AcceptedAsync();
        Assert.Equal(("duplicate", deliveryId), (answer.Status, answer.Delivery));
        Assert.Equal(1, await app.DeliveryCountAsync(deliveryId));
        Assert.Equal(1, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliver_CreatesOneRun_WhenTheSameDeliveryArrivesTwiceAtOnce()
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        var repository = app.NewRepository(Pipelines.OneJob);
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var deliveryId = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId));
            return (await response.AcceptedAsync()).Status;
        }));

        Assert.Single(answers, status => status == "accepted");
        Assert.Equal(3, answers.Count(status => status == "duplicate"));
        await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(1, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliver_CreatesNoRunAndRecordsNotTriggered_WhenThePipelineExcludesTheBranch()
    {
        // github/push-branch.json pushes 'master'; the pipeline builds main and release/* only.
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var repository = app.NewRepository(Pipelines.MainOnly);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(WebhookOutcomes.NotTriggered, delivery.Outcome);
        Assert.Contains("master", delivery.Message, StringComparison.Ordinal);
        Assert.Null(delivery.RunId);
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliver_CreatesNoRunAndRecordsNoPipeline_WhenTheCommitHasNoPipelineFile()
    {
        var fixture = WebhookDelivery.Cases["gitea/push.json"];
        var repository = GitRepository.Create(Path.Combine(app.WorkDir, $"plain-{Guid.NewGuid():N}"),
            new Dictionary<string, string> { ["README.md"] = "no pipeline" });
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, "gitea");
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(WebhookOutcomes.NoPipeline, delivery.Outcome);
        Assert.Contains(".pipeliner.yml", delivery.Message, StringComparison.Ordinal);
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliver_CreatesAnInvalidRunWithTheErrors_WhenThePipelineIsInvalid()
    {
        var fixture = WebhookDelivery.Cases["bitbucket/repo-push.json"];
        var repository = app.NewRepository(Pipelines.Invalid);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository, "bitbucket");
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(WebhookOutcomes.InvalidPipeline, delivery.Outcome);
        var run = await client.GetRunAsync(delivery.RunId!.Value);
        Assert.Equal(("invalid", "push", "main"), (run.Status, run.Event, run.Branch));
        Assert.Equal([(5, 5), (6, 12)], run.Errors!.Select(e => (e.Line, e.Column)));
    }

    [Fact]
    public async Task Deliver_RecordsFailure_WhenTheCommitIsNotInTheRepositoryAfterEveryRetry()
    {
        var fixture = WebhookDelivery.Cases["github/push-branch.json"];
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await Poll.UntilAsync(
            () => app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(db.WebhookDeliveries, d => d.DeliveryId == deliveryId)),
            d => d.Message is not null, "the failure to be recorded");
        Assert.Contains(fixture.Commit!, delivery.Message, StringComparison.Ordinal);
        Assert.Equal(0, await client.RunCountAsync(project));
    }
}
