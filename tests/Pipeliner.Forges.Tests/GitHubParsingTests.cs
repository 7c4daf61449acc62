using System.Text.Json.Nodes;
using Pipeliner.Forges.Tests.Support;
using static Pipeliner.Forges.Tests.Support.ModifiedFixture;

namespace Pipeliner.Forges.Tests;

public class GitHubParsingTests
{
    private const string Zeros = "0000000000000000000000000000000000000000";

    [Theory]
    [InlineData("closed")]
    [InlineData("labeled")]
    [InlineData("edited")]
    [InlineData("assigned")]
    [InlineData("ready_for_review")]
    public void Parse_IgnoresPullRequest_WhenTheActionDoesNotChangeTheCode(string action)
    {
        var result = Parse(Forge.GitHub, "pull_request", "github/pull_request-opened.json", p => p["action"] = action);

        Assert.Equal($"pull request action '{action}' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_IgnoresPullRequest_WhenItWasMerged()
    {
        var result = Parse(Forge.GitHub, "pull_request", "github/pull_request-opened.json", p =>
        {
            p["action"] = "closed";
            p["pull_request"]!["merged"] = true;
        });

        Assert.Equal("pull request action 'closed' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_NormalizesReopened_WhenAPullRequestIsReopened()
    {
        var result = Parse(Forge.GitHub, "pull_request", "github/pull_request-opened.json", p => p["action"] = "reopened");

        Assert.Equal(PullRequestActions.Reopened, EventOf(result).PullRequestAction);
    }

    [Fact]
    public void Parse_MarksPullRequestFromFork_WhenHeadRepositoryDiffersFromBase()
    {
        var result = Parse(Forge.GitHub, "pull_request", "github/pull_request-opened.json", p =>
        {
            p["pull_request"]!["head"]!["repo"]!["id"] = 42;
            p["pull_request"]!["head"]!["repo"]!["full_name"] = "someone/Hello-World";
        });

        var forgeEvent = EventOf(result);
        Assert.True(forgeEvent.FromFork);
        Assert.Equal("refs/pull/2/head", forgeEvent.Ref);
    }

    [Fact]
    public void Parse_GivesADeletedBranchWithoutCommit_WhenABranchIsDeleted()
    {
        var result = Parse(Forge.GitHub, "push", "github/push-branch-update.json", p =>
        {
            p["after"] = Zeros;
            p["deleted"] = true;
            p["head_commit"] = null;
            p["commits"] = new JsonArray();
        });

        var forgeEvent = EventOf(result);
        Assert.Equal((ForgeEventKind.Push, "main", true, false), (forgeEvent.Kind, forgeEvent.Branch, forgeEvent.Deleted, forgeEvent.Created));
        Assert.Null(forgeEvent.CommitSha);
        Assert.Null(forgeEvent.ChangedPaths);
        Assert.Equal("2f780193b136b72bfea4eeb640786a8c4450c7a2", forgeEvent.BeforeSha);
    }

    [Fact]
    public void Parse_TreatsZeroAfterAsDeletion_WhenTheDeletedFlagIsMissing()
    {
        var result = Parse(Forge.GitHub, "push", "github/push-tag-deleted.json", p => p.Remove("deleted"));

        Assert.True(EventOf(result).Deleted);
    }

    [Fact]
    public void Parse_BuildsTheTaggedCommit_WhenAnAnnotatedTagPointsAtIt()
    {
        var result = Parse(Forge.GitHub, "push", "github/push-tag.json", p => p["after"] = "1111111111111111111111111111111111111111");

        Assert.Equal("67012991d6c69b1c58378346fca366b864d8d1a1", EventOf(result).CommitSha);
    }

    [Fact]
    public void Parse_IgnoresPush_WhenTheRefIsNeitherABranchNorATag()
    {
        var result = Parse(Forge.GitHub, "push", "github/push-branch.json", p => p["ref"] = "refs/notes/commits");

        Assert.Equal("push to 'refs/notes/commits', which is neither a branch nor a tag", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_CollectsEachChangedPathOnce_WhenSeveralCommitsTouchIt()
    {
        var result = Parse(Forge.GitHub, "push", "github/push-branch-update.json", p =>
        {
            var commits = p["commits"]!.AsArray();
            var second = commits[0]!.DeepClone();
            second["added"] = new JsonArray("docs/new.md");
            second["removed"] = new JsonArray("pipeline/shared/replace_secrets.go", "old.txt");
            commits.Add(second);
        });

        Assert.Equal(
            ["pipeline/shared/replace_secrets.go", "pipeline/shared/replace_secrets_test.go", "docs/new.md", "old.txt"],
            EventOf(result).ChangedPaths);
    }

    [Theory]
    [InlineData("issues")]
    [InlineData("create")]
    [InlineData("delete")]
    [InlineData("release")]
    [InlineData("workflow_run")]
    public void Parse_IgnoresEventWithoutReadingTheBody_WhenTheEventIsNotHandled(string eventName)
    {
        var result = WebhookParser.Parse(Forge.GitHub, TestHeaders.For(Forge.GitHub, eventName), "not json"u8);

        Assert.Equal($"GitHub event '{eventName}' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_UsesTheGitHubDeliveryHeader_WhenPresent()
    {
        var headers = TestHeaders.Of(("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"));

        var result = WebhookParser.Parse(Forge.GitHub, headers, WebhookFixtures.Read("github/ping.json"));

        Assert.Equal("72d3162e-cc78-11e3-81ab-4c9367dc0958", EventOf(result).DeliveryId);
    }
}
