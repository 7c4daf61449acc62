using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// What became of each delivery, as <c>GET /api/projects/{project}/deliveries</c> tells it: a run, no run and why,
/// ignored, refused, retrying; and redeliveries by the forge that create nothing twice.
/// </summary>
public class WebhookOutcomeTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private async Task<(HttpClient Client, string Project, FixtureCase Fixture, GitRepository Repository)> ProjectForAsync(
        string file, string pipeline = Pipelines.OneJob)
    {
        var fixture = WebhookDelivery.Cases[file];
        var repository = app.NewRepository(pipeline);
        var client = app.Client();
        return (client, await client.CreateProjectAsync(app, repository, fixture.Forge, hint: fixture.Forge), fixture, repository);
    }

    [Fact]
    public async Task Deliver_Returns202_WhenTheBodyIsJustUnder25MiB()
    {
        var (client, project, fixture, _) = await ProjectForAsync("github/ping.json");
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
        var (client, project, fixture, repository) = await ProjectForAsync("github/push-branch-update.json");
        using var _ = client;
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();
        using (var first = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId)))
            Assert.Equal("accepted", (await first.AcceptedAsync()).Status);
        Assert.Equal(DeliveryOutcomes.Run, (await app.ProcessedDeliveryAsync(deliveryId)).Outcome);

        using var again = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId));

        var answer = await again.AcceptedAsync();
        Assert.Equal(("duplicate", deliveryId), (answer.Status, answer.Delivery));
        Assert.Equal(1, await app.DeliveryCountAsync(deliveryId));
        Assert.Equal(1, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliver_CreatesOneRunWithoutLoggingAnError_WhenTheSameDeliveryArrivesTwiceAtOnce()
    {
        var (client, project, fixture, repository) = await ProjectForAsync("github/push-branch-update.json");
        using var _ = client;
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        var deliveryId = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId));
            return (await response.AcceptedAsync()).Status;
        }));

        Assert.Single(answers, status => status == "accepted");
        Assert.Equal(7, answers.Count(status => status == "duplicate"));
        await app.ProcessedDeliveryAsync(deliveryId);
        Assert.Equal(1, await client.RunCountAsync(project));
        Assert.DoesNotContain(app.Errors.All, error => error.Contains("WebhookDeliveries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deliveries_ShowTheRunItsIdAndNumber_WhenAPushCreatedARun()
    {
        var (client, project, fixture, repository) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var commit = repository.Head();
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, commit), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Run);
        var run = await client.GetRunAsync(delivery.RunId!.Value);
        Assert.Equal(("github", "push", "refs/heads/master", commit), (delivery.Forge, delivery.Event, delivery.Ref, delivery.Commit));
        Assert.Equal(run.Number, delivery.RunNumber);
        Assert.Null(delivery.Message);
        Assert.InRange(delivery.ReceivedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Deliveries_ShowNotTriggeredWithThePlannersReason_WhenThePipelineExcludesTheBranch()
    {
        // github/push-branch.json pushes 'master'; the pipeline builds main and release/* only.
        var (client, project, fixture, repository) = await ProjectForAsync("github/push-branch.json", Pipelines.MainOnly);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.NotTriggered);
        Assert.Equal("on.push.branches: branch 'master' matches none of main, release/*", delivery.Message);
        Assert.Null(delivery.RunId);
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliveries_ShowNotTriggered_WhenTheCommitHasNoPipelineFile()
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
        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.NotTriggered);
        Assert.Equal($"no .pipeliner.yml at commit {repository.Head()[..12]}", delivery.Message);
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliveries_ShowTheInvalidRun_WhenThePipelineIsInvalid()
    {
        var (client, project, fixture, repository) = await ProjectForAsync("bitbucket/repo-push.json", Pipelines.Invalid);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookDelivery.Rewritten(fixture, repository.Head()), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Run);
        Assert.Contains("invalid", delivery.Message, StringComparison.Ordinal);
        var run = await client.GetRunAsync(delivery.RunId!.Value);
        Assert.Equal(("invalid", "push", "main"), (run.Status, run.Event, run.Branch));
        Assert.Equal([(5, 5), (6, 12)], run.Errors!.Select(e => (e.Line, e.Column)));
    }

    [Fact]
    public async Task Deliveries_ShowRetryingWithTheErrorAndTheNextAttempt_WhenTheCommitIsNotInTheRepository()
    {
        var (client, project, fixture, _) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), Secrets.Webhook, deliveryId));

        Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var delivery = await client.WaitForDeliveryAsync(project, deliveryId, DeliveryOutcomes.Retrying);
        Assert.Contains(fixture.Commit!, delivery.Message, StringComparison.Ordinal);
        Assert.True(delivery.NextAttemptAt > delivery.ReceivedAt, $"next attempt {delivery.NextAttemptAt} after {delivery.ReceivedAt}");
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Theory]
    [InlineData("github/ping.json", "pong", "ping")]
    [InlineData("gitea/create-tag.json", "ignored", "create")]
    [InlineData("github/push-tag-deleted.json", "ignored", "deleted")]
    [InlineData("bitbucket/pullrequest-fulfilled.json", "ignored", "fulfilled")]
    public async Task Deliveries_ShowIgnoredWithTheReason_WhenTheEventNeverRuns(string file, string status, string reason)
    {
        var (client, project, fixture, _) = await ProjectForAsync(file);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(file), Secrets.Webhook, deliveryId));

        Assert.Equal(status, (await response.AcceptedAsync()).Status);
        var delivery = Assert.Single((await client.DeliveriesAsync(project)).Items);
        Assert.Equal((DeliveryOutcomes.Ignored, deliveryId, fixture.EventName), (delivery.Outcome, delivery.DeliveryId, delivery.Event));
        Assert.Contains(reason, delivery.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await client.RunCountAsync(project));
    }

    [Fact]
    public async Task Deliveries_CountInvalidSignaturesInARowOnOneRowWithoutThePayload_WhenTheSecretIsWrong()
    {
        var (client, project, fixture, _) = await ProjectForAsync("gitea/push.json");
        using var _ = client;
        var ids = new[] { "first-guess", "second-guess", "third-guess" };

        foreach (var id in ids)
        {
            using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), "not-the-secret", id));
            await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        }

        var delivery = Assert.Single((await client.DeliveriesAsync(project)).Items);
        Assert.Equal((DeliveryOutcomes.InvalidSignature, "third-guess", "push"), (delivery.Outcome, delivery.DeliveryId, delivery.Event));
        Assert.Equal($"{WebhookIntake.SignatureMismatch} (3 deliveries in a row)", delivery.Message);
        Assert.Null((await app.WithDbAsync(db => db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id))).EventJson);
    }

    [Fact]
    public async Task Deliveries_ShowFailedWithTheParsersMessage_WhenTheSignedPayloadIsMalformed()
    {
        var (client, project, fixture, _) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, Encoding.UTF8.GetBytes("{\"ref\": 7}"), Secrets.Webhook, deliveryId));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        var delivery = Assert.Single((await client.DeliveriesAsync(project)).Items);
        Assert.Equal((DeliveryOutcomes.Failed, deliveryId, problem.Detail()), (delivery.Outcome, delivery.DeliveryId, delivery.Message));
    }

    [Fact]
    public async Task Deliveries_ListNewestFirstFiftyAPage_WhenThereAreMore()
    {
        var (client, project, fixture, _) = await ProjectForAsync("github/ping.json");
        using var _ = client;
        for (var i = 0; i < 52; i++)
        {
            using var response = await client.SendAsync(
                WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), Secrets.Webhook, $"ping-{i}"));
            await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        }

        var first = await client.DeliveriesAsync(project);
        var second = await client.DeliveriesAsync(project, page: 2);

        Assert.Equal((52, 50, 2), (first.Total, first.Items.Count, second.Items.Count));
        Assert.Equal(Enumerable.Range(0, 52).Reverse().Select(i => $"ping-{i}"), first.Items.Concat(second.Items).Select(d => d.DeliveryId));
    }
}
