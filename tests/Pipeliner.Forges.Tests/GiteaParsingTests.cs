using System.Text.Json.Nodes;
using Pipeliner.Forges.Tests.Support;
using static Pipeliner.Forges.Tests.Support.ModifiedFixture;

namespace Pipeliner.Forges.Tests;

public class GiteaParsingTests
{
    [Theory]
    [InlineData("closed")]
    [InlineData("label_updated")]
    [InlineData("edited")]
    [InlineData("synchronize")]
    public void Parse_IgnoresPullRequest_WhenTheActionIsNotOneGiteaUsesForNewCode(string action)
    {
        var result = Parse(Forge.Gitea, "pull_request", "gitea/pull_request-synchronized.json", p => p["action"] = action);

        Assert.Equal($"pull request action '{action}' is not handled", IgnoredReasonOf(result));
    }

    [Fact]
    public void Parse_NormalizesReopened_WhenAPullRequestIsReopened()
    {
        var result = Parse(Forge.Gitea, "pull_request", "gitea/pull_request-opened.json", p => p["action"] = "reopened");

        Assert.Equal(PullRequestActions.Reopened, EventOf(result).PullRequestAction);
    }

    [Fact]
    public void Parse_MarksPullRequestFromFork_WhenHeadRepositoryIdDiffers()
    {
        var result = Parse(Forge.Gitea, "pull_request", "gitea/pull_request-synchronized.json",
            p => p["pull_request"]!["head"]!["repo_id"] = 7);

        Assert.True(EventOf(result).FromFork);
    }

    [Fact]
    public void Parse_GivesATagEvent_WhenATagIsPushed()
    {
        var result = Parse(Forge.Gitea, "push", "gitea/push-new-branch.json", p => p["ref"] = "refs/tags/v2.0.0");

        var forgeEvent = EventOf(result);
        Assert.Equal((ForgeEventKind.Tag, "v2.0.0", (string?)null), (forgeEvent.Kind, forgeEvent.Tag, forgeEvent.Branch));
        Assert.Equal("28c3613ae62640216bea5e7dc71aa65356e4298b", forgeEvent.CommitSha);
    }

    [Fact]
    public void Parse_GivesADeletedBranch_WhenAfterIsAllZeros()
    {
        var result = Parse(Forge.Gitea, "push", "gitea/push.json", p => p["after"] = "0000000000000000000000000000000000000000");

        var forgeEvent = EventOf(result);
        Assert.True(forgeEvent.Deleted);
        Assert.Null(forgeEvent.CommitSha);
    }

    [Fact]
    public void Parse_CollectsChangedPaths_WhenCommitsListTheirFilesAndAllAreListed()
    {
        var result = Parse(Forge.Gitea, "push", "gitea/push.json", p =>
        {
            var commit = p["commits"]![0]!;
            commit["added"] = new JsonArray("a.txt");
            commit["modified"] = new JsonArray("b.txt");
            commit["removed"] = new JsonArray();
            p["total_commits"] = 1;
        });

        Assert.Equal(["a.txt", "b.txt"], EventOf(result).ChangedPaths);
    }

    [Fact]
    public void Parse_LeavesChangedPathsUnknown_WhenGiteaListsFewerCommitsThanPushed()
    {
        var result = Parse(Forge.Gitea, "push", "gitea/push.json", p =>
        {
            p["commits"]![0]!["added"] = new JsonArray("a.txt");
            p["total_commits"] = 6;
        });

        Assert.Null(EventOf(result).ChangedPaths);
    }

    [Fact]
    public void Parse_ReadsForgejoHeaders_WhenOnlyThoseAreSent()
    {
        var headers = TestHeaders.Of(("X-Forgejo-Event", "push"), ("X-Forgejo-Delivery", "forgejo-delivery"));

        var result = WebhookParser.Parse(Forge.Gitea, headers, WebhookFixtures.Read("gitea/push-new-branch.json"));

        Assert.Equal("forgejo-delivery", EventOf(result).DeliveryId);
    }

    [Fact]
    public void Parse_UsesGiteasOwnEventHeader_WhenTheGitHubCopyDisagrees()
    {
        var headers = TestHeaders.Of(("X-Gitea-Event", "push"), ("X-GitHub-Event", "pull_request"), ("X-Gitea-Delivery", "d"));

        var result = WebhookParser.Parse(Forge.Gitea, headers, WebhookFixtures.Read("gitea/push.json"));

        Assert.Equal(ForgeEventKind.Push, EventOf(result).Kind);
    }
}
