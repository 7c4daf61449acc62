namespace Pipeliner.Forges;

/// <summary>Tells which forge sent a webhook delivery from its headers alone.</summary>
public static class ForgeDetector
{
    /// <param name="header">Looks up a request header by name (case-insensitively, as HTTP does); null when absent.</param>
    /// <returns>The forge, or null when the headers match none.</returns>
    public static Forge? Detect(Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);

        // Gitea, Forgejo and Gogs also send X-GitHub-Event for compatibility, so they are recognised first.
        if (ForgeHeaders.First(header, ForgeHeaders.GiteaEvent, ForgeHeaders.ForgejoEvent, ForgeHeaders.GogsEvent) is not null)
            return Forge.Gitea;
        if (ForgeHeaders.First(header, ForgeHeaders.GitLabEvent) is not null) return Forge.GitLab;
        if (ForgeHeaders.First(header, ForgeHeaders.GitHubEvent) is not null) return Forge.GitHub;
        if (ForgeHeaders.First(header, ForgeHeaders.BitbucketEvent) is not null) return Forge.Bitbucket;
        return null;
    }
}
