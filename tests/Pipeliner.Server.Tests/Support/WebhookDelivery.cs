using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Server.Tests.Support;

/// <summary>What a fixture stands for once delivered: a run (after rewriting its commit to a real one), or none and why.</summary>
public enum FixtureOutcome
{
    Run,
    Pong,
    Deleted,
    Ignored,
}

/// <summary>A fixture file, its forge and event header, the commit it names and what delivering it must give.</summary>
public sealed record FixtureCase(string File, string Forge, string EventName, FixtureOutcome Outcome, string? Commit = null);

/// <summary>Builds webhook requests as the forges send them: their headers, and a signature over the exact body bytes.</summary>
internal static class WebhookDelivery
{
    /// <summary>Every fixture in shared/fixtures/webhooks with its documented event header (see the README there).</summary>
    public static IReadOnlyDictionary<string, FixtureCase> Cases { get; } = new FixtureCase[]
    {
        new("github/push-branch.json", "github", "push", FixtureOutcome.Run, "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
        new("github/push-branch-update.json", "github", "push", FixtureOutcome.Run, "366701fde727cb7a9e7f21eb88264f59f6f9b89c"),
        new("github/push-tag.json", "github", "push", FixtureOutcome.Run, "67012991d6c69b1c58378346fca366b864d8d1a1"),
        new("github/push-tag-deleted.json", "github", "push", FixtureOutcome.Deleted),
        new("github/create-tag.json", "github", "create", FixtureOutcome.Ignored),
        new("github/pull_request-opened.json", "github", "pull_request", FixtureOutcome.Run, "ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
        new("github/pull_request-synchronize.json", "github", "pull_request", FixtureOutcome.Run, "ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
        new("github/ping.json", "github", "ping", FixtureOutcome.Pong),
        new("gitlab/push.json", "gitlab", "Push Hook", FixtureOutcome.Run, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"),
        new("gitlab/push-captured.json", "gitlab", "Push Hook", FixtureOutcome.Run, "f15b32277d2c55c6c595845a87109b09c913c556"),
        new("gitlab/tag_push.json", "gitlab", "Tag Push Hook", FixtureOutcome.Run, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"),
        new("gitlab/merge_request-open.json", "gitlab", "Merge Request Hook", FixtureOutcome.Run, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"),
        new("gitlab/merge_request-update.json", "gitlab", "Merge Request Hook", FixtureOutcome.Run, "c136499ec574e1034b24c5d306de9acda3005367"),
        new("gitea/push.json", "gitea", "push", FixtureOutcome.Run, "bffeb74224043ba2feb48d137756c8a9331c449a"),
        new("gitea/push-new-branch.json", "gitea", "push", FixtureOutcome.Run, "28c3613ae62640216bea5e7dc71aa65356e4298b"),
        new("gitea/create-tag.json", "gitea", "create", FixtureOutcome.Ignored),
        new("gitea/pull_request-opened.json", "gitea", "pull_request", FixtureOutcome.Run, "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"),
        new("gitea/pull_request-synchronized.json", "gitea", "pull_request", FixtureOutcome.Run, "788ed8d02d3b7fcfcf6386dbcbca696aa1d4dc25"),
        new("bitbucket/repo-push.json", "bitbucket", "repo:push", FixtureOutcome.Run, "c14c1bb05dfb1fdcdf06b31485fff61b0ea44277"),
        // Bitbucket sends abbreviated hashes in pull request payloads.
        new("bitbucket/pullrequest-created.json", "bitbucket", "pullrequest:created", FixtureOutcome.Run, "d3022fc0ca3d"),
        new("bitbucket/pullrequest-fulfilled.json", "bitbucket", "pullrequest:fulfilled", FixtureOutcome.Ignored),
    }.ToDictionary(c => c.File);

    public static TheoryData<string> Files => new(Cases.Keys);

    public static TheoryData<string> FilesThatRun => new(Cases.Values.Where(c => c.Outcome == FixtureOutcome.Run).Select(c => c.File));

    /// <summary>The fixture with its commit replaced by <paramref name="commit"/> (abbreviated where the fixture abbreviates).</summary>
    public static byte[] Rewritten(FixtureCase fixture, string commit)
    {
        var text = Encoding.UTF8.GetString(WebhookFixtures.Read(fixture.File));
        var replacement = commit[..fixture.Commit!.Length];
        Assert.Contains(fixture.Commit, text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text.Replace(fixture.Commit, replacement, StringComparison.Ordinal));
    }

    /// <summary>A delivery of <paramref name="body"/> to <c>/hooks/{project}</c>, signed with <paramref name="secret"/> (unsigned when null).</summary>
    public static HttpRequestMessage Request(string project, string forge, string eventName, byte[] body, string? secret, string deliveryId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/hooks/{project}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in Headers(forge, eventName, deliveryId)) request.Headers.TryAddWithoutValidation(name, value);
        if (secret is not null)
        {
            var (header, value) = Signature(forge, body, secret);
            request.Headers.TryAddWithoutValidation(header, value);
        }

        return request;
    }

    public static HttpRequestMessage Request(string project, FixtureCase fixture, byte[] body, string? secret, string deliveryId) =>
        Request(project, fixture.Forge, fixture.EventName, body, secret, deliveryId);

    /// <summary>The headers each forge sends with an event (Gitea with its GitHub and Gogs compatibility copies).</summary>
    public static IEnumerable<(string Name, string Value)> Headers(string forge, string eventName, string deliveryId) => forge switch
    {
        "github" => [("X-GitHub-Event", eventName), ("X-GitHub-Delivery", deliveryId), ("User-Agent", "GitHub-Hookshot/044aadd")],
        "gitlab" =>
        [
            ("X-Gitlab-Event", eventName), ("X-Gitlab-Event-UUID", deliveryId), ("Idempotency-Key", deliveryId),
            ("User-Agent", "GitLab/17.1.0-pre"), ("X-Gitlab-Instance", "https://gitlab.example.com"),
        ],
        "gitea" =>
        [
            ("X-Gitea-Event", eventName), ("X-Gitea-Event-Type", eventName), ("X-Gitea-Delivery", deliveryId),
            ("X-Gogs-Event", eventName), ("X-Gogs-Delivery", deliveryId), ("X-GitHub-Event", eventName), ("X-GitHub-Delivery", deliveryId),
        ],
        "bitbucket" => [("X-Event-Key", eventName), ("X-Request-UUID", deliveryId), ("X-Hook-UUID", "{hook}"), ("X-Attempt-Number", "1")],
        _ => throw new ArgumentOutOfRangeException(nameof(forge), forge, "unknown forge"),
    };

    /// <summary>The header carrying the proof of the secret, as each forge computes it over the raw body.</summary>
    public static (string Header, string Value) Signature(string forge, byte[] body, string secret)
    {
        var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        return forge switch
        {
            "github" => ("X-Hub-Signature-256", "sha256=" + hex),
            "gitlab" => ("X-Gitlab-Token", secret),
            "gitea" => ("X-Gitea-Signature", hex),
            "bitbucket" => ("X-Hub-Signature", "sha256=" + hex),
            _ => throw new ArgumentOutOfRangeException(nameof(forge), forge, "unknown forge"),
        };
    }
}
