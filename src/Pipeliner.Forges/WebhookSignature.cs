using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Forges;

/// <summary>Checks that a webhook delivery was sent by someone who knows the project's webhook secret.</summary>
public static class WebhookSignature
{
    private const string Sha256Prefix = "sha256=";
    internal const int Sha256Length = 32;

    /// <summary>
    /// GitHub: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>. GitLab: <c>X-Gitlab-Token</c> is the
    /// secret itself. Gitea: <c>X-Gitea-Signature: &lt;hex HMAC-SHA256&gt;</c> without a prefix. Bitbucket:
    /// <c>X-Hub-Signature: sha256=&lt;hex HMAC-SHA256&gt;</c>. Every comparison takes constant time.
    /// </summary>
    /// <param name="header">Looks up a request header by name; null when absent.</param>
    /// <param name="body">The raw request body, exactly as received.</param>
    /// <returns>False when the header is missing or malformed, the secret is empty, or the signature does not match.</returns>
    public static bool Verify(Forge forge, Func<string, string?> header, ReadOnlySpan<byte> body, string? secret)
    {
        using var check = Start(forge, header, secret);
        check.Append(body);
        return check.Matches();
    }

    /// <summary>
    /// Starts checking a delivery whose body is still to arrive: the headers are judged now (a missing or malformed
    /// signature, an empty secret, GitLab's token), the body is hashed chunk by chunk as it is read
    /// (<see cref="SignatureCheck.Append"/>), and <see cref="SignatureCheck.Matches"/> gives the verdict at its end.
    /// </summary>
    public static SignatureCheck Start(Forge forge, Func<string, string?> header, string? secret)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (string.IsNullOrEmpty(secret)) return SignatureCheck.Refused;

        return forge switch
        {
            Forge.GitHub => StartHmac(ForgeHeaders.First(header, ForgeHeaders.GitHubSignature256), Sha256Prefix, secret),
            Forge.GitLab => MatchesToken(ForgeHeaders.First(header, ForgeHeaders.GitLabToken), secret) ? SignatureCheck.Accepted : SignatureCheck.Refused,
            Forge.Gitea => StartHmac(
                ForgeHeaders.First(header, ForgeHeaders.GiteaSignature, ForgeHeaders.ForgejoSignature, ForgeHeaders.GogsSignature),
                prefix: "", secret),
            Forge.Bitbucket => StartHmac(ForgeHeaders.First(header, ForgeHeaders.BitbucketSignature), Sha256Prefix, secret),
            _ => SignatureCheck.Refused,
        };
    }

    private static SignatureCheck StartHmac(string? signature, string prefix, string secret)
    {
        if (signature is null || !signature.StartsWith(prefix, StringComparison.Ordinal)) return SignatureCheck.Refused;
        var claimed = new byte[Sha256Length];
        return TryDecodeSha256Hex(signature.AsSpan(prefix.Length), claimed)
            ? new SignatureCheck(IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret)), claimed)
            : SignatureCheck.Refused;
    }

    // Decoding (rather than comparing text) accepts upper- and lower-case hex alike.
    private static bool TryDecodeSha256Hex(ReadOnlySpan<char> hex, Span<byte> destination)
    {
        if (hex.Length != Sha256Length * 2) return false;
        return Convert.FromHexString(hex, destination, out _, out var written) == OperationStatus.Done
               && written == Sha256Length;
    }

    // Hashing both sides first gives equal lengths, so not even the secret's length leaks through timing.
    private static bool MatchesToken(string? token, string secret)
    {
        if (token is null) return false;
        Span<byte> claimed = stackalloc byte[Sha256Length];
        Span<byte> expected = stackalloc byte[Sha256Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), claimed);
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), expected);
        return CryptographicOperations.FixedTimeEquals(claimed, expected);
    }
}
