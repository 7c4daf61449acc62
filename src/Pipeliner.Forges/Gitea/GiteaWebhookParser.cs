using Pipeliner.Forges.Events;
using Pipeliner.Forges.Json;

namespace Pipeliner.Forges.Gitea;

/// <summary>Gitea's (and Forgejo's, Gogs') <c>push</c> and <c>pull_request</c> events.</summary>
internal sealed class GiteaWebhookParser : IForgeWebhookParser
{
    public IReadOnlyList<string> EventHeaders { get; } =
        [ForgeHeaders.GiteaEvent, ForgeHeaders.ForgejoEvent, ForgeHeaders.GogsEvent];

    public IReadOnlyList<string> DeliveryHeaders { get; } =
        [ForgeHeaders.GiteaDelivery, ForgeHeaders.ForgejoDelivery, ForgeHeaders.GogsDelivery];

    public string? WhyIgnored(string eventName) =>
        eventName is "push" or "pull_request" ? null : $"Gitea event '{eventName}' is not handled";

    public WebhookParseResult Parse(string eventName, JsonPayload payload, string deliveryId) =>
        eventName == "push" ? ParsePush(payload, deliveryId) : ParsePullRequest(payload, deliveryId);

    private static WebhookParseResult ParsePush(JsonPayload payload, string deliveryId)
    {
        var pushed = new PushedRef(
            payload.RequiredRefName("ref"),
            payload.OptionalSha("before"),
            payload.RequiredSha("after"),
            DeletedFlag: false,
            CreatedFlag: false);
        if (pushed.ToEvent(Forge.Gitea, deliveryId) is not { } push) return new WebhookParseResult.Ignored(pushed.NeitherBranchNorTag);

        var commits = payload.OptionalObjects("commits");
        var commitSha = push.Deleted ? null : payload.OptionalSha("head_commit.id") ?? push.CommitSha;
        // Older Gitea versions (and its documentation's example) have no head_commit.
        var headCommit = payload.OptionalObject("head_commit") ?? CommitLookup.Find(commits, commitSha);
        return new WebhookParseResult.Event(push with
        {
            CommitSha = commitSha,
            CommitMessage = headCommit?.OptionalString("message"),
            Author = payload.OptionalString("pusher.login") ?? payload.OptionalString("pusher.username")
                     ?? payload.OptionalString("sender.login"),
            CompareUrl = payload.OptionalString("compare_url"),
            HtmlUrl = headCommit?.OptionalString("url"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = payload.OptionalString("repository.clone_url"),
            ChangedPaths = push.Deleted ? null : ChangedPaths.Collect(commits, payload.OptionalLong("total_commits")),
        });
    }

    private static WebhookParseResult ParsePullRequest(JsonPayload payload, string deliveryId)
    {
        var action = payload.RequiredString("action");
        var normalized = action switch
        {
            "opened" => PullRequestActions.Opened,
            "synchronized" => PullRequestActions.Updated,
            "reopened" => PullRequestActions.Reopened,
            _ => null,
        };
        if (normalized is null) return new WebhookParseResult.Ignored($"pull request action '{action}' is not handled");

        var pullRequest = payload.RequiredObject("pull_request");
        // The trimmed payloads of older Gitea versions carry the number only at the top level.
        var number = pullRequest.Has("number") ? pullRequest.RequiredPositiveInt("number") : payload.RequiredPositiveInt("number");
        var targetBranch = pullRequest.RequiredRefName("base.ref");
        return new WebhookParseResult.Event(new ForgeEvent
        {
            Forge = Forge.Gitea,
            Kind = ForgeEventKind.PullRequest,
            DeliveryId = deliveryId,
            Ref = $"refs/pull/{number}/head",
            Branch = targetBranch,
            CommitSha = pullRequest.RequiredSha("head.sha"),
            PullRequestNumber = number,
            PullRequestAction = normalized,
            PullRequestTitle = pullRequest.OptionalString("title"),
            SourceBranch = pullRequest.RequiredRefName("head.ref"),
            TargetBranch = targetBranch,
            FromFork = RepositoryIdentity.Differ(
                pullRequest.OptionalId("head.repo_id") ?? pullRequest.OptionalId("head.repo.id"),
                pullRequest.OptionalId("base.repo_id") ?? pullRequest.OptionalId("base.repo.id"),
                pullRequest.OptionalString("head.repo.full_name"), pullRequest.OptionalString("base.repo.full_name")),
            Author = pullRequest.OptionalString("user.login") ?? payload.OptionalString("sender.login"),
            HtmlUrl = pullRequest.OptionalString("html_url"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = payload.OptionalString("repository.clone_url"),
        });
    }
}
