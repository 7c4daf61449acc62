using System.Text;
using System.Text.Json.Nodes;
using Pipeliner.Server.Tests.Webhooks;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// Pushes and pull requests delivered as GitHub sends them: the real fixtures in shared/fixtures/webhooks with their
/// commit and refs rewritten to the test's repository, signed; each returns the run the server made of it.
/// </summary>
internal static class FixtureEvents
{
    /// <summary>A push of <paramref name="branch"/> at <paramref name="commit"/> (fixture github/push-branch-update.json).</summary>
    public static Task<long> PushAsync(this PipelinerApp app, HttpClient client, string project, string commit, string branch)
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        var payload = JsonNode.Parse(WebhookDelivery.Rewritten(fixture, commit))!.AsObject();
        payload["ref"] = $"refs/heads/{branch}";
        return app.DeliverAsync(client, project, fixture, payload);
    }

    /// <summary>
    /// Pull request <paramref name="number"/> opened from <paramref name="head"/> into <paramref name="target"/>, from a
    /// fork or from the project's own repository (fixture github/pull_request-opened.json). The head commit is made
    /// fetchable as <c>refs/pull/N/head</c>, as on GitHub.
    /// </summary>
    public static Task<long> PullRequestAsync(
        this PipelinerApp app, HttpClient client, string project, GitRepository repository, int number, string head, string target, bool fromFork)
    {
        repository.Git("update-ref", $"refs/pull/{number}/head", head);
        var fixture = WebhookDelivery.Cases["github/pull_request-opened.json"];
        var payload = JsonNode.Parse(WebhookDelivery.Rewritten(fixture, head))!.AsObject();
        payload["number"] = number;
        var pullRequest = payload["pull_request"]!.AsObject();
        pullRequest["number"] = number;
        pullRequest["base"]!["ref"] = target;
        if (fromFork)
        {
            var fork = pullRequest["head"]!["repo"]!.AsObject();
            fork["id"] = 777001;
            fork["full_name"] = "mallory/Hello-World";
        }

        return app.DeliverAsync(client, project, fixture, payload);
    }

    private static async Task<long> DeliverAsync(this PipelinerApp app, HttpClient client, string project, FixtureCase fixture, JsonObject payload)
    {
        var delivery = Guid.NewGuid().ToString();
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
        using (var response = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, delivery)))
            Assert.Equal("accepted", (await response.AcceptedAsync()).Status);
        var processed = await app.ProcessedDeliveryAsync(delivery);
        return processed.RunId ?? throw new Xunit.Sdk.XunitException($"the delivery made no run: {processed.Outcome} {processed.Message}");
    }
}
