using System.Security.Cryptography;
using System.Text;
using Pipeliner.Forges.Tests.Support;

namespace Pipeliner.Forges.Tests;

public class WebhookSignatureTests
{
    private const string Secret = "It's a Secret to Everybody";

    // The test vector of GitHub's "Validating webhook deliveries" documentation.
    [Fact]
    public void Verify_AcceptsGitHubsDocumentedTestVector_WhenSignedWithItsSecret()
    {
        var headers = TestHeaders.Of(("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));

        Assert.True(WebhookSignature.Verify(Forge.GitHub, headers, "Hello, World!"u8, Secret));
    }

    public static TheoryData<Forge, string, string> SignedFixtures => new()
    {
        { Forge.GitHub, "github/push-branch.json", "X-Hub-Signature-256" },
        { Forge.GitHub, "github/pull_request-opened.json", "X-Hub-Signature-256" },
        { Forge.Gitea, "gitea/push.json", "X-Gitea-Signature" },
        { Forge.Gitea, "gitea/pull_request-synchronized.json", "X-Gitea-Signature" },
        { Forge.Bitbucket, "bitbucket/repo-push.json", "X-Hub-Signature" },
        { Forge.Bitbucket, "bitbucket/pullrequest-created.json", "X-Hub-Signature" },
    };

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_AcceptsSignature_WhenComputedOverTheFileBytes(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);

        Assert.True(WebhookSignature.Verify(forge, TestHeaders.Of((header, SignatureOf(forge, body, Secret))), body, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_AcceptsUpperCaseHex_WhenOtherwiseValid(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);
        var signature = SignatureOf(forge, body, Secret);
        var prefixLength = signature.IndexOf('=') + 1;
        var upperCaseHex = signature[..prefixLength] + signature[prefixLength..].ToUpperInvariant();

        Assert.True(WebhookSignature.Verify(forge, TestHeaders.Of((header, upperCaseHex)), body, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_Rejects_WhenTheBodyWasTampered(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);
        var signature = SignatureOf(forge, body, Secret);
        var tampered = (byte[])body.Clone();
        tampered[tampered.Length / 2] ^= 0x01;

        Assert.False(WebhookSignature.Verify(forge, TestHeaders.Of((header, signature)), tampered, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_Rejects_WhenSignedWithAnotherSecret(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);

        Assert.False(WebhookSignature.Verify(forge, TestHeaders.Of((header, SignatureOf(forge, body, "another secret"))), body, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_Rejects_WhenTheSignatureHeaderIsMissing(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);
        var signature = SignatureOf(forge, body, Secret);

        Assert.False(WebhookSignature.Verify(forge, TestHeaders.None, body, Secret));
        Assert.False(WebhookSignature.Verify(forge, TestHeaders.Of((header, "")), body, Secret));
        Assert.False(WebhookSignature.Verify(forge, TestHeaders.Of(("X-Other-Signature", signature)), body, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Verify_Rejects_WhenTheSecretIsEmpty(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);
        var headers = TestHeaders.Of((header, SignatureOf(forge, body, "")));

        Assert.False(WebhookSignature.Verify(forge, headers, body, ""));
        Assert.False(WebhookSignature.Verify(forge, headers, body, null));
    }

    [Theory]
    [InlineData(Forge.GitHub, "X-Hub-Signature-256", "sha1=")]
    [InlineData(Forge.GitHub, "X-Hub-Signature-256", "")]
    [InlineData(Forge.GitHub, "X-Hub-Signature-256", "SHA256=")]
    [InlineData(Forge.GitHub, "X-Hub-Signature-256", "sha512=")]
    [InlineData(Forge.Bitbucket, "X-Hub-Signature", "sha1=")]
    [InlineData(Forge.Bitbucket, "X-Hub-Signature", "")]
    [InlineData(Forge.Gitea, "X-Gitea-Signature", "sha256=")]
    public void Verify_Rejects_WhenThePrefixIsWrong(Forge forge, string header, string prefix)
    {
        var body = WebhookFixtures.Read("github/push-branch.json");
        var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body));

        Assert.False(WebhookSignature.Verify(forge, TestHeaders.Of((header, prefix + hex)), body, Secret));
    }

    [Theory]
    [InlineData("sha256=")]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b04 e17")]
    public void Verify_Rejects_WhenTheHexIsMalformedOrDifferent(string signature)
    {
        Assert.False(WebhookSignature.Verify(Forge.GitHub, TestHeaders.Of(("X-Hub-Signature-256", signature)), "Hello, World!"u8, Secret));
    }

    [Fact]
    public void Verify_IgnoresGitHubsLegacySha1Header_WhenTheSha256OneIsMissing()
    {
        var body = WebhookFixtures.Read("github/push-branch.json");
        var sha1 = "sha1=" + Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), body));

        Assert.False(WebhookSignature.Verify(Forge.GitHub, TestHeaders.Of(("X-Hub-Signature", sha1)), body, Secret));
    }

    [Fact]
    public void Verify_AcceptsGiteaSignature_WhenOnlyTheGogsCopyIsSent()
    {
        var body = WebhookFixtures.Read("gitea/push.json");

        Assert.True(WebhookSignature.Verify(Forge.Gitea, TestHeaders.Of(("X-Gogs-Signature", SignatureOf(Forge.Gitea, body, Secret))), body, Secret));
    }

    [Fact]
    public void Verify_AcceptsGitLabToken_WhenItEqualsTheSecret()
    {
        var body = WebhookFixtures.Read("gitlab/push.json");

        Assert.True(WebhookSignature.Verify(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", Secret)), body, Secret));
    }

    [Theory]
    [InlineData("It's a secret to everybody")]
    [InlineData("It's a Secret to Everybody!")]
    [InlineData("It's a Secret to Everybod")]
    [InlineData("")]
    public void Verify_RejectsGitLabToken_WhenItDiffers(string token)
    {
        var body = WebhookFixtures.Read("gitlab/push.json");

        Assert.False(WebhookSignature.Verify(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", token)), body, Secret));
    }

    [Fact]
    public void Verify_RejectsGitLab_WhenTheTokenIsMissingOrTheSecretEmpty()
    {
        var body = WebhookFixtures.Read("gitlab/push.json");

        Assert.False(WebhookSignature.Verify(Forge.GitLab, TestHeaders.None, body, Secret));
        Assert.False(WebhookSignature.Verify(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", "")), body, ""));
    }

    [Fact]
    public void Verify_Rejects_WhenOneForgesSignatureIsCheckedAsAnothers()
    {
        var body = WebhookFixtures.Read("gitea/push.json");
        var giteaSignature = SignatureOf(Forge.Gitea, body, Secret);

        // A bare hex HMAC is Gitea's format; GitHub and Bitbucket require the prefix.
        Assert.False(WebhookSignature.Verify(Forge.GitHub, TestHeaders.Of(("X-Hub-Signature-256", giteaSignature)), body, Secret));
        Assert.False(WebhookSignature.Verify(Forge.Bitbucket, TestHeaders.Of(("X-Hub-Signature", giteaSignature)), body, Secret));
        Assert.False(WebhookSignature.Verify(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", giteaSignature)), body, Secret));
    }

    [Theory]
    [MemberData(nameof(SignedFixtures))]
    public void Start_MatchesOnlyTheSignedBody_WhenTheBodyArrivesInChunks(Forge forge, string fixture, string header)
    {
        var body = WebhookFixtures.Read(fixture);
        var headers = TestHeaders.Of((header, SignatureOf(forge, body, Secret)));

        Assert.True(MatchesInChunks(forge, headers, body, chunk: 7));
        Assert.True(MatchesInChunks(forge, headers, body, chunk: 4096));
        var tampered = (byte[])body.Clone();
        tampered[^1] ^= 0x01;
        Assert.False(MatchesInChunks(forge, headers, tampered, chunk: 7));
        Assert.False(MatchesInChunks(forge, headers, body[..^1], chunk: 7));
    }

    [Theory]
    [InlineData(Forge.GitHub, "X-Hub-Signature-256")]
    [InlineData(Forge.Gitea, "X-Gitea-Signature")]
    [InlineData(Forge.Bitbucket, "X-Hub-Signature")]
    public void Start_CannotMatchBeforeAnyBody_WhenTheSignatureHeaderIsMissingOrMalformed(Forge forge, string header)
    {
        using var missing = WebhookSignature.Start(forge, TestHeaders.None, Secret);
        using var malformed = WebhookSignature.Start(forge, TestHeaders.Of((header, "sha256=zz")), Secret);
        using var wellFormed = WebhookSignature.Start(forge, TestHeaders.Of((header, SignatureOf(forge, [], "x"))), Secret);

        Assert.False(missing.CanMatch);
        Assert.False(malformed.CanMatch);
        Assert.True(wellFormed is { CanMatch: true, NeedsBody: true });
    }

    [Fact]
    public void Start_DecidesGitLabsTokenWithoutTheBody_WhenTheTokenIsSent()
    {
        using var right = WebhookSignature.Start(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", Secret)), Secret);
        using var wrong = WebhookSignature.Start(Forge.GitLab, TestHeaders.Of(("X-Gitlab-Token", "guess")), Secret);

        Assert.True(right is { CanMatch: true, NeedsBody: false });
        Assert.True(right.Matches());
        Assert.False(wrong.CanMatch);
        Assert.False(wrong.Matches());
    }

    private static bool MatchesInChunks(Forge forge, Func<string, string?> headers, byte[] body, int chunk)
    {
        using var check = WebhookSignature.Start(forge, headers, Secret);
        for (var offset = 0; offset < body.Length; offset += chunk)
            check.Append(body.AsSpan(offset, Math.Min(chunk, body.Length - offset)));
        return check.Matches();
    }

    private static string SignatureOf(Forge forge, byte[] body, string secret)
    {
        var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
        return forge == Forge.Gitea ? hex : "sha256=" + hex;
    }
}
