namespace Pipeliner.Forges.Tests.Support;

/// <summary>Request headers as the forges send them, looked up case-insensitively as HTTP does.</summary>
internal static class TestHeaders
{
    public static Func<string, string?> Of(params (string Name, string Value)[] headers)
    {
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers) byName[name] = value;
        return name => byName.GetValueOrDefault(name);
    }

    public static Func<string, string?> None { get; } = _ => null;

    /// <summary>The headers a forge sends with an event (Gitea with its GitHub and Gogs compatibility copies).</summary>
    public static Func<string, string?> For(Forge forge, string eventName, string? deliveryId = null)
    {
        List<(string Name, string Value)> headers = forge switch
        {
            Forge.GitHub => [("X-GitHub-Event", eventName), ("User-Agent", "GitHub-Hookshot/044aadd")],
            Forge.GitLab => [("X-Gitlab-Event", eventName), ("User-Agent", "GitLab/17.1.0-pre")],
            Forge.Gitea =>
            [
                ("X-Gitea-Event", eventName), ("X-Gitea-Event-Type", eventName), ("X-Gogs-Event", eventName),
                ("X-GitHub-Event", eventName), ("X-GitHub-Event-Type", eventName),
            ],
            Forge.Bitbucket => [("X-Event-Key", eventName), ("X-Hook-UUID", "{hook}"), ("X-Attempt-Number", "1")],
            _ => [],
        };
        if (deliveryId is not null)
        {
            List<(string Name, string Value)> delivery = forge switch
            {
                Forge.GitHub => [("X-GitHub-Delivery", deliveryId)],
                Forge.GitLab => [("X-Gitlab-Event-UUID", deliveryId), ("Idempotency-Key", "idempotency-" + deliveryId)],
                Forge.Gitea => [("X-Gitea-Delivery", deliveryId), ("X-Gogs-Delivery", deliveryId), ("X-GitHub-Delivery", deliveryId)],
                Forge.Bitbucket => [("X-Request-UUID", deliveryId)],
                _ => [],
            };
            headers.AddRange(delivery);
        }

        return Of([.. headers]);
    }
}
