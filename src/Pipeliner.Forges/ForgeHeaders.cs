namespace Pipeliner.Forges;

/// <summary>The HTTP headers forges send with a webhook delivery.</summary>
public static class ForgeHeaders
{
    public const string GitHubEvent = "X-GitHub-Event";
    public const string GitHubDelivery = "X-GitHub-Delivery";
    public const string GitHubSignature256 = "X-Hub-Signature-256";

    public const string GitLabEvent = "X-Gitlab-Event";
    public const string GitLabEventUuid = "X-Gitlab-Event-UUID";
    public const string IdempotencyKey = "Idempotency-Key";
    public const string GitLabToken = "X-Gitlab-Token";

    public const string GiteaEvent = "X-Gitea-Event";
    public const string GiteaDelivery = "X-Gitea-Delivery";
    public const string GiteaSignature = "X-Gitea-Signature";
    public const string ForgejoEvent = "X-Forgejo-Event";
    public const string ForgejoDelivery = "X-Forgejo-Delivery";
    public const string ForgejoSignature = "X-Forgejo-Signature";
    public const string GogsEvent = "X-Gogs-Event";
    public const string GogsDelivery = "X-Gogs-Delivery";
    public const string GogsSignature = "X-Gogs-Signature";

    public const string BitbucketEvent = "X-Event-Key";
    public const string BitbucketRequestUuid = "X-Request-UUID";
    public const string BitbucketSignature = "X-Hub-Signature";

    /// <summary>The first of <paramref name="names"/> whose header is present and not blank.</summary>
    internal static string? First(Func<string, string?> header, params IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            var value = header(name);
            if (!string.IsNullOrWhiteSpace(value)) return value.Trim();
        }

        return null;
    }
}
