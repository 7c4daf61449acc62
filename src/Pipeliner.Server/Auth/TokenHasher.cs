using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Server.Auth;

/// <summary>
/// Tokens are random 256-bit strings, so a plain SHA-256 is enough to store them safely (no password stretching
/// needed), and it lets a token be found by its hash in one indexed lookup.
/// </summary>
public static class TokenHasher
{
    public const string TokenPrefix = "plr_";

    public static string NewToken() => TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>What may be shown of a token: its first characters.</summary>
    public static string Prefix(string token) => token[..Math.Min(token.Length, TokenPrefix.Length + 6)];
}
