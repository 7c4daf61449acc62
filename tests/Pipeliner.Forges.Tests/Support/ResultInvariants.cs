namespace Pipeliner.Forges.Tests.Support;

/// <summary>What holds for every parse result, whatever the input.</summary>
internal static class ResultInvariants
{
    private static readonly string[] Actions = [PullRequestActions.Opened, PullRequestActions.Updated, PullRequestActions.Reopened];

    public static void AssertWellFormed(WebhookParseResult result)
    {
        switch (result)
        {
            case WebhookParseResult.Event { ForgeEvent: var forgeEvent }:
                AssertWellFormed(forgeEvent);
                break;
            case WebhookParseResult.Ignored ignored:
                Assert.False(string.IsNullOrWhiteSpace(ignored.Reason));
                break;
            case WebhookParseResult.Invalid invalid:
                Assert.False(string.IsNullOrWhiteSpace(invalid.Message));
                break;
            default:
                Assert.Fail($"unexpected result {result}");
                break;
        }
    }

    private static void AssertWellFormed(ForgeEvent forgeEvent)
    {
        Assert.False(string.IsNullOrWhiteSpace(forgeEvent.DeliveryId));
        switch (forgeEvent.Kind)
        {
            case ForgeEventKind.Push:
                Assert.False(string.IsNullOrEmpty(forgeEvent.Branch));
                Assert.Equal("refs/heads/" + forgeEvent.Branch, forgeEvent.Ref);
                Assert.Equal(forgeEvent.Deleted, forgeEvent.CommitSha is null);
                break;
            case ForgeEventKind.Tag:
                Assert.False(string.IsNullOrEmpty(forgeEvent.Tag));
                Assert.Equal("refs/tags/" + forgeEvent.Tag, forgeEvent.Ref);
                Assert.Equal(forgeEvent.Deleted, forgeEvent.CommitSha is null);
                break;
            case ForgeEventKind.PullRequest:
                Assert.NotNull(forgeEvent.PullRequestNumber);
                Assert.False(string.IsNullOrEmpty(forgeEvent.CommitSha));
                Assert.False(string.IsNullOrEmpty(forgeEvent.SourceBranch));
                Assert.False(string.IsNullOrEmpty(forgeEvent.TargetBranch));
                Assert.Equal(forgeEvent.TargetBranch, forgeEvent.Branch);
                Assert.Contains(forgeEvent.PullRequestAction, Actions);
                Assert.False(forgeEvent.Deleted);
                break;
            case ForgeEventKind.Ping:
                Assert.Null(forgeEvent.CommitSha);
                break;
            default:
                Assert.Fail($"unexpected kind {forgeEvent.Kind}");
                break;
        }
    }
}
