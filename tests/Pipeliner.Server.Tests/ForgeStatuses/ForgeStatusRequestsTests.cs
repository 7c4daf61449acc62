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
}
