using Pipeliner.Forges.Tests.Support;
using static Pipeliner.Forges.Tests.Support.ModifiedFixture;

namespace Pipeliner.Forges.Tests;

public class BitbucketParsingTests
{
    [Fact]
    public void Parse_GivesATagEvent_WhenTheFirstChangeIsATag()
    {
        var result = Parse(Forge.Bitbucket, "repo:push", "bitbucket/repo-push.json", p =>
        {
            var change = p["push"]!["changes"]![0]!;
            change["new"]!["type"] = "tag";
            change["new"]!["name"] = "v1.2.0";
            change["old"] = null;
        });

        var forgeEvent = EventOf(result);
        Assert.Equal((ForgeEventKind.Tag, "refs/tags/v1.2.0", "v1.2.0"), (forgeEvent.Kind, forgeEvent.Ref, forgeEvent.Tag));
        Assert.Equal("c14c1bb05dfb1fdcdf06b31485fff61b0ea44277", forgeEvent.CommitSha);
        Assert.True(forgeEvent.Created);
        Assert.Null(forgeEvent.BeforeSha);
    }

    [Fact]
    public void Parse_GivesADeletedBranch_WhenNewIsNull()
    {
        var result = Parse(Forge.Bitbucket, "repo:push", "bitbucket/repo-push.json", p =>
        {
            var change = p["push"]!["changes"]![0]!;
            change["new"] = null;
            change["closed"] = true;
        });

        var forgeEvent = EventOf(result);
        Assert.Equal((ForgeEventKind.Push, "main", true), (forgeEvent.Kind, forgeEvent.Branch, forgeEvent.Deleted));
        Assert.Null(forgeEvent.CommitSha);
        Assert.Equal("a51241ae1f00cbe728930db48e890b18fd527f99", forgeEvent.BeforeSha);
    }

    [Fact]
    public void Parse_UsesTheFirstChange_WhenAPushMovesSeveralRefs()
    {
        var result = Parse(Forge.Bitbucket, "repo:push", "bitbucket/repo-push.json", p =>
        {
            var changes = p["push"]!["changes"]!.AsArray();
            var second = changes[0]!.DeepClone();
            second["new"]!["name"] = "other";
            changes.Add(second);
        });

        Assert.Equal("main", EventOf(result).Branch);
    }

    [Fact]
    public void Parse_IgnoresPush_WhenTheRefIsAMercurialBookmark()
    {
        var result = Parse(Forge.Bitbucket, "repo:push", "bitbucket/repo-push.json",
            p => p["push"]!["changes"]![0]!["new"]!["type"] = "bookmark");

        Assert.Equal("push of a Bitbucket 'bookmark' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_GivesAnUpdatedPullRequest_WhenTheEventIsPullRequestUpdated()
    {
        var result = Parse(Forge.Bitbucket, "pullrequest:updated", "bitbucket/pullrequest-created.json", _ => { });

        Assert.Equal(PullRequestActions.Updated, EventOf(result).PullRequestAction);
    }

    [Fact]
    public void Parse_MarksPullRequestFromForkWithoutRef_WhenTheSourceRepositoryDiffers()
    {
        var result = Parse(Forge.Bitbucket, "pullrequest:created", "bitbucket/pullrequest-created.json",
            p => p["pullrequest"]!["source"]!["repository"]!["full_name"] = "someone/repo_name");

        var forgeEvent = EventOf(result);
        Assert.True(forgeEvent.FromFork);
        Assert.Null(forgeEvent.Ref);
    }

    [Theory]
    [InlineData("pullrequest:fulfilled")]
    [InlineData("pullrequest:rejected")]
    [InlineData("pullrequest:comment_created")]
    [InlineData("repo:fork")]
    public void Parse_IgnoresEvent_WhenTheEventIsNotHandled(string eventName)
    {
        var result = WebhookParser.Parse(Forge.Bitbucket, TestHeaders.For(Forge.Bitbucket, eventName), "{}"u8);

        Assert.Equal($"Bitbucket event '{eventName}' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_UsesTheRequestUuid_AsTheDeliveryId()
    {
        var headers = TestHeaders.Of(("X-Event-Key", "repo:push"), ("X-Request-UUID", "{0d4e1c2a}"));

        var result = WebhookParser.Parse(Forge.Bitbucket, headers, WebhookFixtures.Read("bitbucket/repo-push.json"));

        Assert.Equal("{0d4e1c2a}", EventOf(result).DeliveryId);
    }
}
