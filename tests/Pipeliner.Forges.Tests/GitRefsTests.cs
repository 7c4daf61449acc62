using Pipeliner.Forges.Refs;

namespace Pipeliner.Forges.Tests;

public class GitRefsTests
{
    [Theory]
    [InlineData("main")]
    [InlineData("refs/heads/feature/login")]
    [InlineData("refs/tags/v1.0.0")]
    [InlineData("anbraten-main-patch-05373")]
    [InlineData("fix/ünïcode-🎉")]
    [InlineData("release@2024")]
    public void IsValidRefName_AcceptsName_WhenGitWouldAcceptIt(string name)
    {
        Assert.True(GitRefs.IsValidRefName(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("@")]
    [InlineData("/main")]
    [InlineData("main/")]
    [InlineData("main.")]
    [InlineData("a..b")]
    [InlineData("a//b")]
    [InlineData("a@{1}")]
    [InlineData("a b")]
    [InlineData("a~1")]
    [InlineData("a^")]
    [InlineData("a:b")]
    [InlineData("a?")]
    [InlineData("a*")]
    [InlineData("a[b")]
    [InlineData("a\\b")]
    [InlineData("a\u0000b")]
    [InlineData("a\nb")]
    [InlineData("a\u007fb")]
    [InlineData("refs/heads/.hidden")]
    [InlineData("refs/heads/x.lock")]
    public void IsValidRefName_RejectsName_WhenGitCheckRefFormatWould(string name)
    {
        Assert.False(GitRefs.IsValidRefName(name));
    }

    [Theory]
    [InlineData("6113728", true)]
    [InlineData("6113728f27ae82c7b1a177c8d03f9e96e0adf246", true)]
    [InlineData("6113728F27AE82C7B1A177C8D03F9E96E0ADF246", true)]
    [InlineData("611372", false)]
    [InlineData("6113728g", false)]
    [InlineData("HEAD", false)]
    public void IsCommitSha_TellsHexHashes_FromOtherText(string value, bool expected)
    {
        Assert.Equal(expected, GitRefs.IsCommitSha(value));
    }
}
