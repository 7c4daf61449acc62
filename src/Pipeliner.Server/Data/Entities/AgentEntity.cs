namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// An agent the server hands jobs to: a remote one registered with a registration token (its credential stored as a
/// SHA-256 hash), or the embedded agent inside the server (no credential).
/// </summary>
public sealed class AgentEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }

    /// <summary>Null for the embedded agent, which no request can speak for.</summary>
    public string? CredentialHash { get; set; }

    /// <summary>Comma-separated, as the agent announced them.</summary>
    public string Labels { get; set; } = "";

    public int Capacity { get; set; }
    public string Version { get; set; } = "";
    public bool Disabled { get; set; }
    public bool Embedded { get; set; }
    public DateTimeOffset RegisteredAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }

    /// <summary>The registration token it registered with (for the audit trail and revocation).</summary>
    public int? RegistrationTokenId { get; set; }
}

/// <summary>A token that registers agents (any number of them) until it is revoked; only its hash is stored.</summary>
public sealed class AgentRegistrationTokenEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string TokenHash { get; set; }
    public required string Prefix { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
