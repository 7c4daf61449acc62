namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// Recent failed sign-ins of one user name or one client address (<c>user:alice</c>, <c>address:127.0.0.1</c>), in the
/// database so that the slowdown holds across replicas.
/// </summary>
public sealed class SignInThrottleEntity
{
    public long Id { get; set; }

    public required string Key { get; set; }

    /// <summary>Attempts within the window that did not succeed (an attempt counts from its start).</summary>
    public int Failures { get; set; }

    public DateTimeOffset LastFailureAt { get; set; }

    /// <summary>No attempt for this key is checked before this time.</summary>
    public DateTimeOffset? BlockedUntil { get; set; }
}
