namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// A dashboard sign-in, kept server-side so that signing out, disabling the user or an admin's password reset end it
/// on every replica. The cookie holds a random value; only its SHA-256 is stored.
/// </summary>
public sealed class SessionEntity
{
    public long Id { get; set; }

    public int UserId { get; set; }
    public UserEntity? User { get; set; }

    public required string TokenHash { get; set; }

    /// <summary>The anti-forgery proof every write with this session must carry (X-Pipeliner-Csrf).</summary>
    public required string CsrfToken { get; set; }

    /// <summary>How the user signed in: password or oidc.</summary>
    public required string Method { get; set; }

    /// <summary>"Keep me signed in": the session lasts a fixed time instead of ending after inactivity.</summary>
    public bool Persistent { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The client address at sign-in.</summary>
    public string? Address { get; set; }
}
