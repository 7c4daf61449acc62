using Pipeliner.Forges.Events;
using Pipeliner.Forges.Json;

namespace Pipeliner.Forges.GitLab;

/// <summary>GitLab's <c>Push Hook</c>, <c>Tag Push Hook</c> and <c>Merge Request Hook</c>.</summary>
internal sealed class GitLabWebhookParser : IForgeWebhookParser
{
    private const string PushHook = "Push Hook";
    private const string TagPushHook = "Tag Push Hook";
    private const string MergeRequestHook = "Merge Request Hook";

    public IReadOnlyList<string> EventHeaders { get; } = [ForgeHeaders.GitLabEvent];

    public IReadOnlyList<string> DeliveryHeaders { get; } = [ForgeHeaders.GitLabEventUuid, ForgeHeaders.IdempotencyKey];

    public string? WhyIgnored(string eventName) =>
        eventName is PushHook or TagPushHook or MergeRequestHook ? null : $"GitLab event '{eventName}' is not handled";

    public WebhookParseResult Parse(string eventName, JsonPayload payload, string deliveryId) =>
        eventName == MergeRequestHook ? ParseMergeRequest(payload, deliveryId) : ParsePush(payload, deliveryId);

    // Push Hook and Tag Push Hook share a payload; the ref tells which it is.
    private static WebhookParseResult ParsePush(JsonPayload payload, string deliveryId)
    {
        var pushed = new PushedRef(
            payload.RequiredRefName("ref"),
            payload.OptionalSha("before"),
            payload.RequiredSha("after"),
            DeletedFlag: false,
            CreatedFlag: false);
        if (pushed.ToEvent(Forge.GitLab, deliveryId) is not { } push) return new WebhookParseResult.Ignored(pushed.NeitherBranchNorTag);

        // For an annotated tag 'after' is the tag object; checkout_sha is the commit it points to.
        var commitSha = push.Deleted ? null : payload.OptionalSha("checkout_sha") ?? push.CommitSha;
        var commits = payload.OptionalObjects("commits");
        var headCommit = CommitLookup.Find(commits, commitSha);
        return new WebhookParseResult.Event(push with
        {
            CommitSha = commitSha,
            CommitMessage = headCommit?.OptionalString("message"),
            Author = payload.OptionalString("user_username") ?? payload.OptionalString("user_name"),
            HtmlUrl = headCommit?.OptionalString("url"),
            RepositoryFullName = payload.OptionalString("project.path_with_namespace"),
            RepositoryCloneUrl = payload.OptionalString("project.git_http_url") ?? payload.OptionalString("repository.git_http_url"),
            ChangedPaths = push.Deleted ? null : ChangedPaths.Collect(commits, payload.OptionalLong("total_commits_count")),
        });
    }

    private static WebhookParseResult ParseMergeRequest(JsonPayload payload, string deliveryId)
    {
        var attributes = payload.RequiredObject("object_attributes");
        var action = attributes.RequiredString("action");
        var previousHead = attributes.OptionalSha("oldrev");
        var normalized = action switch
        {
            "open" => PullRequestActions.Opened,
            "reopen" => PullRequestActions.Reopened,
            // GitLab also sends 'update' for edits of the title, labels, assignees…; only 'oldrev' marks new commits.
            "update" when previousHead is not null => PullRequestActions.Updated,
            _ => null,
        };
        if (normalized is null)
        {
            return new WebhookParseResult.Ignored(action == "update"
                ? "merge request updated without new commits"
                : $"merge request action '{action}' is not handled");
        }

        var iid = attributes.RequiredPositiveInt("iid");
        var targetBranch = attributes.RequiredRefName("target_branch");
        return new WebhookParseResult.Event(new ForgeEvent
        {
            Forge = Forge.GitLab,
            Kind = ForgeEventKind.PullRequest,
            DeliveryId = deliveryId,
            Ref = $"refs/merge-requests/{iid}/head",
            Branch = targetBranch,
            CommitSha = attributes.RequiredSha("last_commit.id"),
            BeforeSha = previousHead,
            PullRequestNumber = iid,
            PullRequestAction = normalized,
            PullRequestTitle = attributes.OptionalString("title"),
            SourceBranch = attributes.RequiredRefName("source_branch"),
            TargetBranch = targetBranch,
            FromFork = RepositoryIdentity.Differ(
                attributes.OptionalId("source_project_id"), attributes.OptionalId("target_project_id"),
                attributes.OptionalString("source.path_with_namespace"), attributes.OptionalString("target.path_with_namespace")),
            CommitMessage = attributes.OptionalString("last_commit.message"),
            // The payload names the merge request's author only by id, so this is the user who acted.
            Author = payload.OptionalString("user.username") ?? payload.OptionalString("user.name"),
            HtmlUrl = attributes.OptionalString("url"),
            RepositoryFullName = payload.OptionalString("project.path_with_namespace"),
            RepositoryCloneUrl = payload.OptionalString("project.git_http_url"),
        });
    }
}
