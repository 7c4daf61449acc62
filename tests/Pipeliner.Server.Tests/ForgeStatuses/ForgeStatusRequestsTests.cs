using Pipeliner.Server.ForgeStatuses;

namespace Pipeliner.Server.Tests.ForgeStatuses;

public class ForgeStatusRequestsTests
{
    [Theory]
    [InlineData("https://github.com/shop/api.git", "shop/api")]
    [InlineData("https://gitlab.example.com/group/sub/api", "group/sub/api")]
    [InlineData("ssh://git@gitea.example.com:2222/shop/api.git", "shop/api")]
    [InlineData("https://bitbucket.org/workspace/repo/", "workspace/repo")]
    public void RepositoryPath_IsTheOwnerAndName_WhenTheRepositoryIsAUrl(string repository, string expected) =>
        Assert.Equal(expected, ForgeStatusTargets.RepositoryPath(repository));

    [Theory]
    [InlineData("/srv/git/api")]
    [InlineData("file:///srv/git/api")]
    [InlineData("https://example.com/api.git")]
    public void RepositoryPath_IsNull_WhenThereIsNoOwnerAndName(string repository) =>
        Assert.Null(ForgeStatusTargets.RepositoryPath(repository));

    [Fact]
    public void BitbucketKey_KeepsTheContext_WhenItFitsIn40Characters() =>
        Assert.Equal("pipeliner/build", ForgeStatusRequests.BitbucketKey("pipeliner/build"));

    [Fact]
    public void BitbucketKey_IsDistinctAndAtMost40Characters_WhenTheContextIsLonger()
    {
        var first = ForgeStatusRequests.BitbucketKey("pipeliner/integration-tests (postgres, 16, amd64)");
        var second = ForgeStatusRequests.BitbucketKey("pipeliner/integration-tests (postgres, 16, arm64)");

        Assert.Equal(40, first.Length);
        Assert.NotEqual(first, second);
        Assert.StartsWith("pipeliner/integration", first);
    }

    [Fact]
    public void ToString_LeavesTheTokenOut_WhenATargetIsWritten()
    {
        var target = new ForgeStatusTarget("github", "https://api.github.com", "ghp_secret-token", "shop/api", "abc123", "https://ci/runs/1");

        Assert.DoesNotContain("ghp_secret-token", target.ToString(), StringComparison.Ordinal);
        Assert.Contains("shop/api", target.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("github", "success")]
    [InlineData("gitlab", "success")]
    [InlineData("gitea", "success")]
    [InlineData("bitbucket", "SUCCESSFUL")]
    public async Task Build_SaysAManualJobAsASuccessThatSaysManual_WhenItsRunFinishedWithoutIt(string forge, string state)
    {
        var target = new ForgeStatusTarget(forge, "https://forge.example/api", "token", "shop/api", "abc123", "https://ci/runs/1");

        using var request = ForgeStatusRequests.Build(target, "pipeliner/deploy-prod", CommitState.Manual, "waiting for approval");

        using var body = System.Text.Json.JsonDocument.Parse(await request.Content!.ReadAsStringAsync());
        Assert.Equal(state, body.RootElement.GetProperty("state").GetString());
        Assert.Equal("manual: waiting for approval", body.RootElement.GetProperty("description").GetString());
    }
}
