using Pipeliner.Forges.Events;
using Pipeliner.Forges.Json;
using Pipeliner.Forges.Refs;

namespace Pipeliner.Forges.Bitbucket;

/// <summary>Bitbucket Cloud's <c>repo:push</c>, <c>pullrequest:created</c> and <c>pullrequest:updated</c> events.</summary>
internal sealed class BitbucketWebhookParser : IForgeWebhookParser
{
    private const string RepoPush = "repo:push";
    private const string PullRequestCreated = "pullrequest:created";
    private const string PullRequestUpdated = "pullrequest:updated";

    public IReadOnlyList<string> EventHeaders { get; } = [ForgeHeaders.BitbucketEvent];

    public IReadOnlyList<string> DeliveryHeaders { get; } = [ForgeHeaders.BitbucketRequestUuid];

    public string? WhyIgnored(string eventName) =>
        eventName is RepoPush or PullRequestCreated or PullRequestUpdated ? null : $"Bitbucket event '{eventName}' is not handled";

    public WebhookParseResult Parse(string eventName, JsonPayload payload, string deliveryId) =>
        eventName == RepoPush ? ParsePush(payload, deliveryId) : ParsePullRequest(eventName, payload, deliveryId);

    // One push may move several refs; like other CI servers, only the first change is built.
    private static WebhookParseResult ParsePush(JsonPayload payload, string deliveryId)
    {
        var changes = payload.RequiredObjects("push.changes");
        if (changes.Count == 0) throw payload.Invalid("'push.changes' is empty");
        var change = changes[0];

        var newState = change.RequiredObjectOrNull("new");
        var oldState = change.RequiredObjectOrNull("old");
        var state = newState ?? oldState ?? throw payload.Invalid("'push.changes[0]' has neither 'new' nor 'old'");
        var type = state.RequiredString("type");
        var name = state.RequiredRefName("name");
        var fullRef = type switch
        {
            "branch" => GitRefs.Branch(name),
            "tag" or "annotated_tag" => GitRefs.Tag(name),
            _ => null,
        };
        if (fullRef is null) return new WebhookParseResult.Ignored($"push of a Bitbucket '{type}' is not handled");

        var pushed = new PushedRef(
            fullRef,
            oldState?.OptionalSha("target.hash"),
            newState?.RequiredSha("target.hash"),
            DeletedFlag: newState is null,
            CreatedFlag: oldState is null);
        if (pushed.ToEvent(Forge.Bitbucket, deliveryId) is not { } push) return new WebhookParseResult.Ignored(pushed.NeitherBranchNorTag);

        return new WebhookParseResult.Event(push with
        {
            CommitMessage = newState?.OptionalString("target.message"),
            Author = ActorName(payload.OptionalObject("actor")),
            CompareUrl = change.OptionalString("links.html.href"),
            HtmlUrl = newState?.OptionalString("target.links.html.href"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = CloneUrl(payload),
        });
    }

    private static WebhookParseResult ParsePullRequest(string eventName, JsonPayload payload, string deliveryId)
    {
        var pullRequest = payload.RequiredObject("pullrequest");
        var number = pullRequest.RequiredPositiveInt("id");
        var sourceBranch = pullRequest.RequiredRefName("source.branch.name");
        var targetBranch = pullRequest.RequiredRefName("destination.branch.name");
        var fromFork = RepositoryIdentity.Differ(
            pullRequest.OptionalId("source.repository.uuid"), pullRequest.OptionalId("destination.repository.uuid"),
            pullRequest.OptionalString("source.repository.full_name"), pullRequest.OptionalString("destination.repository.full_name"));
        return new WebhookParseResult.Event(new ForgeEvent
        {
            Forge = Forge.Bitbucket,
            Kind = ForgeEventKind.PullRequest,
            DeliveryId = deliveryId,
            // Bitbucket has no pull request refs: the source branch is fetchable only when it is in this repository.
            Ref = fromFork == true ? null : GitRefs.Branch(sourceBranch),
            Branch = targetBranch,
            CommitSha = pullRequest.RequiredSha("source.commit.hash"),
            PullRequestNumber = number,
            PullRequestAction = eventName == PullRequestCreated ? PullRequestActions.Opened : PullRequestActions.Updated,
            PullRequestTitle = pullRequest.OptionalString("title"),
            SourceBranch = sourceBranch,
            TargetBranch = targetBranch,
            FromFork = fromFork,
            Author = ActorName(pullRequest.OptionalObject("author")),
            HtmlUrl = pullRequest.OptionalString("links.html.href"),
            RepositoryFullName = payload.OptionalString("repository.full_name"),
            RepositoryCloneUrl = CloneUrl(payload),
        });
    }

    private static string? ActorName(JsonPayload? user) =>
        user?.OptionalString("nickname") ?? user?.OptionalString("display_name") ?? user?.OptionalString("username");

    // Payloads carry no clone URL; on bitbucket.org the repository's web page plus ".git" is its HTTPS clone URL.
    private static string? CloneUrl(JsonPayload payload) =>
        payload.OptionalString("repository.links.html.href") is { } page ? page.TrimEnd('/') + ".git" : null;
}
