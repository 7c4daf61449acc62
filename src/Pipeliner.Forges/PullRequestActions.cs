namespace Pipeliner.Forges;

/// <summary>The normalized values of <see cref="ForgeEvent.PullRequestAction"/>.</summary>
public static class PullRequestActions
{
    public const string Opened = "opened";

    /// <summary>New commits were pushed to the pull request's source branch.</summary>
    public const string Updated = "updated";

    public const string Reopened = "reopened";
}
