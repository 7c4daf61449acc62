using Pipeliner.Forges.Tests.Support;

namespace Pipeliner.Forges.Tests;

public class ForgeDetectorTests
{
    public static TheoryData<string, Forge?> HeaderSets => new()
    {
        { "X-GitHub-Event: push", Forge.GitHub },
        { "X-Gitlab-Event: Push Hook", Forge.GitLab },
        { "X-Gitea-Event: push", Forge.Gitea },
        { "X-Forgejo-Event: push", Forge.Gitea },
        { "X-Gogs-Event: push", Forge.Gitea },
        { "X-Event-Key: repo:push", Forge.Bitbucket },
        // Gitea and Forgejo send GitHub's headers too; their own header wins.
        { "X-GitHub-Event: push | X-Gitea-Event: push | X-Gogs-Event: push | X-Hub-Signature-256: sha256=00", Forge.Gitea },
        { "X-GitHub-Event: push | X-Forgejo-Event: push", Forge.Gitea },
        { "x-github-event: ping", Forge.GitHub },
        { "X-Hub-Signature: sha256=00", null },
        { "X-GitHub-Event: ", null },
        { "Content-Type: application/json", null },
        { "", null },
    };

    [Theory]
    [MemberData(nameof(HeaderSets))]
    public void Detect_TellsTheForge_FromItsEventHeader(string headers, Forge? expected)
    {
        Assert.Equal(expected, ForgeDetector.Detect(Parse(headers)));
    }

    [Theory]
    [InlineData(Forge.GitHub, "push")]
    [InlineData(Forge.GitLab, "Merge Request Hook")]
    [InlineData(Forge.Gitea, "pull_request")]
    [InlineData(Forge.Bitbucket, "pullrequest:created")]
    public void Detect_TellsTheForge_WhenGivenEveryHeaderItSends(Forge forge, string eventName)
    {
        Assert.Equal(forge, ForgeDetector.Detect(TestHeaders.For(forge, eventName, "delivery")));
    }

    private static Func<string, string?> Parse(string headers) =>
        TestHeaders.Of(headers
            .Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(header => header.Split(':', 2, StringSplitOptions.TrimEntries))
            .Select(parts => (parts[0], parts[1]))
            .ToArray());
}
