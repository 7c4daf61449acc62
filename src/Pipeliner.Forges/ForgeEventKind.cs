namespace Pipeliner.Forges;

public enum ForgeEventKind
{
    /// <summary>A branch was pushed, created or deleted.</summary>
    Push,

    /// <summary>A tag was pushed, created or deleted.</summary>
    Tag,

    /// <summary>A pull (merge) request was opened, reopened or got new commits.</summary>
    PullRequest,

    /// <summary>The forge checks that the webhook works (GitHub only).</summary>
    Ping,
}
