namespace Pipeliner.Forges;

/// <summary>
/// A webhook delivery in a form independent of the forge. Fields a forge's payload does not carry are null.
/// </summary>
public sealed record ForgeEvent
{
    public required Forge Forge { get; init; }

    public required ForgeEventKind Kind { get; init; }

    /// <summary>
    /// The forge's id of this delivery, which stays the same when it is redelivered. Without one, <c>sha256:</c> and
    /// the hex SHA-256 of the body, so that identical bodies are still recognised as the same delivery.
    /// </summary>
    public required string DeliveryId { get; init; }

    /// <summary>
    /// The full ref to fetch <see cref="CommitSha"/> from the project's repository: <c>refs/heads/…</c>,
    /// <c>refs/tags/…</c>, or a pull request's head ref (<c>refs/pull/N/head</c>, <c>refs/merge-requests/N/head</c>).
    /// Null for a ping, and for a Bitbucket pull request from a fork (Bitbucket has no pull request refs).
    /// </summary>
    public string? Ref { get; init; }

    /// <summary>The pushed branch; for a pull request the target branch (as the planner's trigger context expects).</summary>
    public string? Branch { get; init; }

    public string? Tag { get; init; }

    /// <summary>
    /// The commit to build: the new head of the branch or tag, or the pull request's head. Null when the ref was
    /// deleted. Bitbucket pull request payloads carry only an abbreviated hash (12 hex digits).
    /// </summary>
    public string? CommitSha { get; init; }

    /// <summary>The ref's previous head, when the payload names it (null when it was created).</summary>
    public string? BeforeSha { get; init; }

    /// <summary>The branch or tag was deleted: there is nothing to build.</summary>
    public bool Deleted { get; init; }

    /// <summary>The branch or tag did not exist before this push.</summary>
    public bool Created { get; init; }

    /// <summary>GitHub and Gitea pull request number, GitLab merge request IID, Bitbucket pull request id.</summary>
    public int? PullRequestNumber { get; init; }

    /// <summary>One of <see cref="PullRequestActions"/>.</summary>
    public string? PullRequestAction { get; init; }

    public string? PullRequestTitle { get; init; }

    public string? SourceBranch { get; init; }

    public string? TargetBranch { get; init; }

    /// <summary>The pull request comes from another repository. Null when the payload does not tell.</summary>
    public bool? FromFork { get; init; }

    /// <summary>The message of <see cref="CommitSha"/>, when the payload includes it.</summary>
    public string? CommitMessage { get; init; }

    /// <summary>Who caused the event: the pusher, or the pull request's author (GitLab: the user who acted).</summary>
    public string? Author { get; init; }

    /// <summary>The forge's page comparing the old and new head of a push.</summary>
    public string? CompareUrl { get; init; }

    /// <summary>The forge's page of the pushed commit or of the pull request.</summary>
    public string? HtmlUrl { get; init; }

    /// <summary>owner/name (GitLab: the full namespace path).</summary>
    public string? RepositoryFullName { get; init; }

    /// <summary>The HTTP(S) clone URL. For Bitbucket, derived from the repository's web page.</summary>
    public string? RepositoryCloneUrl { get; init; }

    /// <summary>
    /// Paths added, modified or removed by the pushed commits, without duplicates. Null when unknown: pull requests,
    /// Bitbucket, pushes whose payload lists no commits or only some of them, deletions.
    /// </summary>
    public IReadOnlyList<string>? ChangedPaths { get; init; }
}
