using System.Text.Json.Nodes;
using Pipeliner.Forges.Tests.Support;
using static Pipeliner.Forges.Tests.Support.ModifiedFixture;

namespace Pipeliner.Forges.Tests;

public class GitLabParsingTests
{
    private const string Zeros = "0000000000000000000000000000000000000000";

    [Fact]
    public void Parse_IgnoresMergeRequestUpdate_WhenItBroughtNoNewCommits()
    {
        var result = Parse(Forge.GitLab, "Merge Request Hook", "gitlab/merge_request-update.json",
            p => p["object_attributes"]!.AsObject().Remove("oldrev"));

        Assert.Equal("merge request updated without new commits", IgnoredReasonOf(result));
    }

    [Theory]
    [InlineData("close")]
    [InlineData("merge")]
    [InlineData("approved")]
    [InlineData("unapproved")]
    public void Parse_IgnoresMergeRequest_WhenTheActionDoesNotChangeTheCode(string action)
    {
        var result = Parse(Forge.GitLab, "Merge Request Hook", "gitlab/merge_request-open.json",
            p => p["object_attributes"]!["action"] = action);

        Assert.Equal($"merge request action '{action}' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_NormalizesReopened_WhenAMergeRequestIsReopened()
    {
        var result = Parse(Forge.GitLab, "Merge Request Hook", "gitlab/merge_request-open.json",
            p => p["object_attributes"]!["action"] = "reopen");

        Assert.Equal(PullRequestActions.Reopened, EventOf(result).PullRequestAction);
    }

    [Fact]
    public void Parse_MarksMergeRequestFromFork_WhenSourceProjectDiffersFromTarget()
    {
        var result = Parse(Forge.GitLab, "Merge Request Hook", "gitlab/merge_request-update.json",
            p => p["object_attributes"]!["source_project_id"] = 1);

        Assert.True(EventOf(result).FromFork);
    }

    [Fact]
    public void Parse_GivesADeletedTag_WhenATagPushHasAZeroAfter()
    {
        var result = Parse(Forge.GitLab, "Tag Push Hook", "gitlab/tag_push.json", p =>
        {
            p["before"] = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7";
            p["after"] = Zeros;
            p["checkout_sha"] = null;
        });

        var forgeEvent = EventOf(result);
        Assert.Equal((ForgeEventKind.Tag, "v1.0.0", true, false), (forgeEvent.Kind, forgeEvent.Tag, forgeEvent.Deleted, forgeEvent.Created));
        Assert.Null(forgeEvent.CommitSha);
        Assert.Equal("82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", forgeEvent.BeforeSha);
    }

    [Fact]
    public void Parse_GivesADeletedBranch_WhenAPushHasAZeroAfter()
    {
        var result = Parse(Forge.GitLab, "Push Hook", "gitlab/push-captured.json", p =>
        {
            p["after"] = Zeros;
            p["checkout_sha"] = null;
            p["commits"] = new JsonArray();
            p["total_commits_count"] = 0;
        });

        var forgeEvent = EventOf(result);
        Assert.True(forgeEvent.Deleted);
        Assert.Null(forgeEvent.CommitSha);
        Assert.Null(forgeEvent.ChangedPaths);
    }

    [Fact]
    public void Parse_BuildsTheCheckoutCommit_WhenAnAnnotatedTagObjectIsTheAfter()
    {
        var result = Parse(Forge.GitLab, "Tag Push Hook", "gitlab/tag_push.json",
            p => p["after"] = "1111111111111111111111111111111111111111");

        Assert.Equal("82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", EventOf(result).CommitSha);
    }

    [Fact]
    public void Parse_CollectsChangedPaths_WhenEveryPushedCommitIsListed()
    {
        var result = Parse(Forge.GitLab, "Push Hook", "gitlab/push.json", p => p["total_commits_count"] = 2);

        Assert.Equal(["CHANGELOG", "app/controller/application.rb"], EventOf(result).ChangedPaths);
    }

    [Fact]
    public void Parse_UsesIdempotencyKey_WhenTheEventUuidIsMissing()
    {
        var headers = TestHeaders.Of(("X-Gitlab-Event", "Push Hook"), ("Idempotency-Key", "f6a3e9d0-2c1b-4f0e-9d8a-3b2c1d0e9f8a"));

        var result = WebhookParser.Parse(Forge.GitLab, headers, WebhookFixtures.Read("gitlab/push.json"));

        Assert.Equal("f6a3e9d0-2c1b-4f0e-9d8a-3b2c1d0e9f8a", EventOf(result).DeliveryId);
    }

    [Fact]
    public void Parse_PrefersTheEventUuid_WhenBothDeliveryHeadersAreSent()
    {
        var headers = TestHeaders.Of(("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Event-UUID", "event-uuid"), ("Idempotency-Key", "key"));

        var result = WebhookParser.Parse(Forge.GitLab, headers, WebhookFixtures.Read("gitlab/push.json"));

        Assert.Equal("event-uuid", EventOf(result).DeliveryId);
    }

    [Theory]
    [InlineData("Issue Hook")]
    [InlineData("Note Hook")]
    [InlineData("Pipeline Hook")]
    [InlineData("System Hook")]
    public void Parse_IgnoresEvent_WhenTheEventIsNotHandled(string eventName)
    {
        var result = WebhookParser.Parse(Forge.GitLab, TestHeaders.For(Forge.GitLab, eventName), "{}"u8);

        Assert.Equal($"GitLab event '{eventName}' is not handled", IgnoredReasonOf(result));
    }
}
