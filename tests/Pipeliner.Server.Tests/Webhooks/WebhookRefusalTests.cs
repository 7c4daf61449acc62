using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// <c>POST /hooks/{project}</c> refusing what it must refuse: bad signatures, oversized or malformed bodies, unknown
/// projects (answered exactly as a bad signature, so that names cannot be probed).
/// </summary>
public class WebhookRefusalTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    public static TheoryData<string> PushFixtures => new("github/push-branch.json", "gitlab/push.json", "gitea/push.json", "bitbucket/repo-push.json");

    private async Task<(HttpClient Client, string Project, FixtureCase Fixture)> ProjectForAsync(string file, string pipeline = Pipelines.OneJob)
    {
        var fixture = WebhookDelivery.Cases[file];
        var repository = app.NewRepository(pipeline);
        var client = app.Client();
        return (client, await client.CreateProjectAsync(app, repository, fixture.Forge, hint: fixture.Forge), fixture);
    }

    [Theory]
    [MemberData(nameof(PushFixtures))]
    public async Task Deliver_Returns401AndKeepsNoPayload_WhenTheSignatureIsMissing(string file)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(file), secret: null, deliveryId));

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        await AssertRefusedAsync(deliveryId);
    }

    [Theory]
    [MemberData(nameof(PushFixtures))]
    public async Task Deliver_Returns401AndKeepsNoPayload_WhenSignedWithAnotherSecret(string file)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(file), "some-other-secret", deliveryId));

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        await AssertRefusedAsync(deliveryId);
    }

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    public async Task Deliver_Returns401WithoutReadingTheBody_WhenTheSignatureCannotMatch(string forge)
    {
        // A body over 25 MiB that announces no length: only reading it would find it too large.
        var (client, project, fixture) = await ProjectForAsync(forge == "github" ? "github/push-branch.json" : "gitlab/push.json");
        using var _ = client;
        var request = WebhookDelivery.Request(project, fixture, [], secret: forge == "gitlab" ? "a-wrong-token" : null, Guid.NewGuid().ToString());
        request.Content = new StreamContent(new EndlessSpaces(26L * 1024 * 1024));
        request.Content.Headers.ContentType = new("application/json");

        using var response = await client.SendAsync(request);

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(PushFixtures))]
    public async Task Deliver_Returns401_WhenTheBodyChangedAfterSigning(string file)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        var body = WebhookFixtures.Read(file);
        var request = WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, Guid.NewGuid().ToString());
        var tampered = body.ToArray();
        tampered[^2] ^= 0x01;
        request.Content = new ByteArrayContent(tampered) { Headers = { ContentType = new("application/json") } };

        using var response = await client.SendAsync(request);

        // GitLab sends the secret itself rather than a signature of the body: nothing ties the body to it.
        if (fixture.Forge == "gitlab") Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        else await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("sha256=")]
    [InlineData("sha256=zz")]
    [InlineData("sha1=0123456789abcdef0123456789abcdef01234567")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Deliver_Returns401_WhenTheSignatureIsMalformed(string signature)
    {
        var (client, project, fixture) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var request = WebhookDelivery.Request(project, fixture, WebhookFixtures.Read(fixture.File), secret: null, Guid.NewGuid().ToString());
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);

        using var response = await client.SendAsync(request);

        await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Deliver_Returns413_WhenTheBodyIsOver25MiB()
    {
        var (client, project, fixture) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var body = new byte[(25 * 1024 * 1024) + 1];
        Array.Fill(body, (byte)' ');

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, Guid.NewGuid().ToString()));

        await Api.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Deliver_Returns413_WhenAnUnannouncedBodyGrowsOver25MiB()
    {
        var (client, project, fixture) = await ProjectForAsync("github/push-branch.json");
        using var _ = client;
        var request = WebhookDelivery.Request(project, fixture, [], Secrets.Webhook, Guid.NewGuid().ToString());
        request.Content = new StreamContent(new EndlessSpaces(26L * 1024 * 1024));
        request.Content.Headers.ContentType = new("application/json");

        using var response = await client.SendAsync(request);

        await Api.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("github/push-branch.json", "{")]
    [InlineData("github/push-branch.json", "")]
    [InlineData("github/push-branch.json", "[1,2]")]
    [InlineData("github/push-branch.json", "not json at all")]
    [InlineData("gitlab/push.json", "{\"object_kind\":")]
    [InlineData("gitea/push.json", "\"a string\"")]
    [InlineData("bitbucket/repo-push.json", "null")]
    public async Task Deliver_Returns400Problem_WhenTheSignedBodyIsNotJson(string file, string body)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, Encoding.UTF8.GetBytes(body), Secrets.Webhook, deliveryId));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        await AssertFailedAsync(deliveryId, problem.Detail());
    }

    [Theory]
    [InlineData("github/push-branch.json", "ref")]
    [InlineData("github/push-branch.json", "after")]
    [InlineData("github/pull_request-opened.json", "pull_request")]
    [InlineData("gitlab/push.json", "ref")]
    [InlineData("gitlab/merge_request-open.json", "object_attributes")]
    [InlineData("gitea/push.json", "ref")]
    [InlineData("bitbucket/repo-push.json", "push")]
    public async Task Deliver_Returns400Problem_WhenARequiredFieldIsMissing(string file, string field)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        var payload = JsonNode.Parse(WebhookFixtures.Read(file))!.AsObject();
        Assert.True(payload.Remove(field), $"{file} has a top-level '{field}'");
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, fixture, Encoding.UTF8.GetBytes(payload.ToJsonString()), Secrets.Webhook, deliveryId));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.Detail()));
        await AssertFailedAsync(deliveryId, problem.Detail());
    }

    [Theory]
    [MemberData(nameof(PushFixtures))]
    public async Task Deliver_AnswersAsForABadSignature_WhenTheProjectDoesNotExist(string file)
    {
        var (client, project, fixture) = await ProjectForAsync(file);
        using var _ = client;
        using var anonymous = app.Client(token: null);
        var body = WebhookFixtures.Read(file);

        using var unknown = await anonymous.SendAsync(WebhookDelivery.Request("no-such-project", fixture, body, Secrets.Webhook, Guid.NewGuid().ToString()));
        using var badSignature = await anonymous.SendAsync(WebhookDelivery.Request(project, fixture, body, "some-other-secret", Guid.NewGuid().ToString()));

        var unknownProblem = await Api.ProblemAsync(unknown, HttpStatusCode.Unauthorized);
        var badSignatureProblem = await Api.ProblemAsync(badSignature, HttpStatusCode.Unauthorized);
        Assert.Equal(
            (badSignatureProblem.GetProperty("title").GetString(), badSignatureProblem.Detail(), badSignature.Content.Headers.ContentType),
            (unknownProblem.GetProperty("title").GetString(), unknownProblem.Detail(), unknown.Content.Headers.ContentType));
        Assert.Equal(WebhookIntake.RefusedDetail, unknownProblem.Detail());
    }

    [Fact]
    public async Task Deliver_Returns400Problem_WhenNoForgeHeaderIsSent()
    {
        var (client, project, _) = await ProjectForAsync("github/push-branch.json");
        using var __ = client;

        using var response = await client.PostAsync($"/hooks/{project}", new ByteArrayContent(WebhookFixtures.Read("github/push-branch.json")));

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Deliver_Returns401AndRecordsWhy_WhenTheForgeIsNotTheProjects()
    {
        var (client, project, _) = await ProjectForAsync("github/push-branch.json");
        using var __ = client;
        var gitlab = WebhookDelivery.Cases["gitlab/push.json"];
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await client.SendAsync(
            WebhookDelivery.Request(project, gitlab, WebhookFixtures.Read(gitlab.File), Secrets.Webhook, deliveryId));

        var problem = await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(WebhookIntake.RefusedDetail, problem.Detail());
        var delivery = Assert.Single((await client.DeliveriesAsync(project)).Items);
        Assert.Equal((DeliveryOutcomes.InvalidSignature, "gitlab", "Push Hook"), (delivery.Outcome, delivery.Forge, delivery.Event));
        Assert.Equal("sent by gitlab, but the project receives github webhooks", delivery.Message);
    }

    /// <summary>Recorded as failed with the answer's reason, and nothing to process.</summary>
    private async Task AssertFailedAsync(string deliveryId, string message)
    {
        var failed = await app.WithDbAsync(db => db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.DeliveryId == deliveryId));
        Assert.Equal((DeliveryOutcomes.Failed, message, null), (failed.Outcome, failed.Message, failed.EventJson));
    }

    private async Task AssertRefusedAsync(string deliveryId)
    {
        var refused = await app.WithDbAsync(db => db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.DeliveryId == deliveryId));
        Assert.Equal((DeliveryOutcomes.InvalidSignature, null, null, null), (refused.Outcome, refused.EventJson, refused.UniqueDeliveryId, refused.RunId));
    }

    /// <summary>A body of spaces of a given length, produced as it is read (no length announced up front).</summary>
    private sealed class EndlessSpaces(long length) : Stream
    {
        private long _left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _left);
            Array.Fill(buffer, (byte)' ', offset, n);
            _left -= n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
