using System.Security.Cryptography;

namespace Pipeliner.Forges;

/// <summary>
/// The check of one delivery's signature while its body streams in (<see cref="WebhookSignature.Start"/>). Either the
/// headers decided it already (<see cref="NeedsBody"/> false: GitLab's token, a missing or malformed signature), or
/// each chunk of the body goes through an incremental HMAC, so the body never has to be whole in memory to be judged.
/// </summary>
public sealed class SignatureCheck : IDisposable
{
    /// <summary>Decided by the headers: matches, whatever the body.</summary>
    internal static SignatureCheck Accepted { get; } = new(decided: true);

    /// <summary>Decided by the headers: never matches, whatever the body.</summary>
    internal static SignatureCheck Refused { get; } = new(decided: false);

    private readonly IncrementalHash? _hmac;
    private readonly byte[]? _claimed;
    private readonly bool _decided;

    private SignatureCheck(bool decided) => _decided = decided;

    internal SignatureCheck(IncrementalHash hmac, byte[] claimed)
    {
        _hmac = hmac;
        _claimed = claimed;
    }

    /// <summary>False when no body can make it match: reading the body to check it would be wasted.</summary>
    public bool CanMatch => _hmac is not null || _decided;

    /// <summary>The verdict depends on the body (an HMAC over it).</summary>
    public bool NeedsBody => _hmac is not null;

    /// <summary>The next bytes of the body, in order.</summary>
    public void Append(ReadOnlySpan<byte> chunk) => _hmac?.AppendData(chunk);

    /// <summary>The verdict, once the whole body was appended; compared in constant time.</summary>
    public bool Matches()
    {
        if (_hmac is null) return _decided;
        Span<byte> expected = stackalloc byte[WebhookSignature.Sha256Length];
        _hmac.GetHashAndReset(expected);
        return CryptographicOperations.FixedTimeEquals(_claimed, expected);
    }

    public void Dispose() => _hmac?.Dispose();
}
