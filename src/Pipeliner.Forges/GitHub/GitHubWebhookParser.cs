using Pipeliner.Forges.Events;
using Pipeliner.Forges.Json;

namespace Pipeliner.Forges.GitHub;

/// <summary>GitHub's <c>push</c>, <c>pull_request</c> and <c>ping</c> events.</summary>
internal sealed class GitHubWebhookParser : IForgeWebhookParser
{
    public IReadOnlyList<string> EventHeaders { get; } = [ForgeHeaders.GitHubEvent];

    public IReadOnlyList<string> DeliveryHeaders { get; } = [ForgeHeaders.GitHubDelivery];

    public string? WhyIgnored(string eventName) =>
        eventName is "push" or "pull_request" or "ping" ? null : $"GitHub event '{eventName}' is not handled";

    public WebhookParseResult Parse(string eventName, JsonPayload payload, string deliveryId) => eventName switch
    {
        "push" => ParsePush(payload, deliveryId),
        "pull_request" => ParsePullRequest(payload, deliveryId),
        _ => ParsePing(payload, deliveryId),
    };

    private static WebhookParseResult ParsePush(JsonPayload payload, string deliveryId)
    {
        var pushed = new PushedRef(
            payload.RequiredRefName("ref"),
            payload.OptionalSha("before"),
            payload.RequiredSha("after"),
            DeletedFlag: payload.OptionalBool("deleted"),
            CreatedFlag: payload.OptionalBool("created"));
        if (pushed.ToEvent(Forge.GitHub, deliveryId) is not { } push) return new WebhookParseResult.Ignored(pushed.NeitherBranchNorTag);

        var headCommit = payload.OptionalObject("head_commit");
        return new WebhookParseResult.Event(push with
        {
            // For an annotated tag 'after' is the tag object; head_commit is the commit it points to.
            CommitSha = push.Deleted ? null : headCommit?.OptionalSha("id") ?? push.CommitSha,
            CommitMessage = headCommit?.OptionalString("message"),
            Author = payload.OptionalString("sender.login") ?? payload.OptionalString("pusher.name"),
            CompareUrl = payload.OptionalString("compare"),
            HtmlUrl = headCommit?.OptionalString("url"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = payload.OptionalString("repository.clone_url"),
            ChangedPaths = push.Deleted ? null : ChangedPaths.Collect(payload.OptionalObjects("commits"), totalCommits: null),
        });
    }

    private static WebhookParseResult ParsePullRequest(JsonPayload payload, string deliveryId)
    {
        var action = payload.RequiredString("action");
        var normalized = action switch
        {
            "opened" => PullRequestActions.Opened,
            "synchronize" => PullRequestActions.Updated,
            "reopened" => PullRequestActions.Reopened,
            _ => null,
        };
        if (normalized is null) return new WebhookParseResult.Ignored($"pull request action '{action}' is not handled");

        var pullRequest = payload.RequiredObject("pull_request");
        var number = pullRequest.RequiredPositiveInt("number");
        var targetBranch = pullRequest.RequiredRefName("base.ref");
        return new WebhookParseResult.Event(new ForgeEvent
        {
            Forge = Forge.GitHub,
            Kind = ForgeEventKind.PullRequest,
            DeliveryId = deliveryId,
            Ref = $"refs/pull/{number}/head",
            Branch = targetBranch,
            CommitSha = pullRequest.RequiredSha("head.sha"),
            BeforeSha = payload.OptionalSha("before"),
            PullRequestNumber = number,
            PullRequestAction = normalized,
            PullRequestTitle = pullRequest.OptionalString("title"),
            SourceBranch = pullRequest.RequiredRefName("head.ref"),
            TargetBranch = targetBranch,
            FromFork = RepositoryIdentity.Differ(
                pullRequest.OptionalId("head.repo.id"), pullRequest.OptionalId("base.repo.id"),
                pullRequest.OptionalString("head.repo.full_name"), pullRequest.OptionalString("base.repo.full_name")),
            Author = pullRequest.OptionalString("user.login") ?? payload.OptionalString("sender.login"),
            HtmlUrl = pullRequest.OptionalString("html_url"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = payload.OptionalString("repository.clone_url"),
        });
    }

    private static WebhookParseResult ParsePing(JsonPayload payload, string deliveryId) =>
        new WebhookParseResult.Event(new ForgeEvent
        {
            Forge = Forge.GitHub,
            Kind = ForgeEventKind.Ping,
            DeliveryId = deliveryId,
            Author = payload.OptionalString("sender.login"),
            HtmlUrl = payload.OptionalString("repository.html_url"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = payload.OptionalString("repository.clone_url"),
        });
}
