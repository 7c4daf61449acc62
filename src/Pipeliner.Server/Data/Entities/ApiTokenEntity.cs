namespace Pipeliner.Server.Data.Entities;

/// <summary>An API token of a user; only its SHA-256 hash is stored.</summary>
public sealed class ApiTokenEntity
{
    public int Id { get; set; }

    /// <summary>What the token is for ("laptop", "ci"); the identity is the user's name.</summary>
    public required string Name { get; set; }

    /// <summary>The most the token may do; what it does is the lower of this and its user's current role.</summary>
    public required string Role { get; set; }

    public int UserId { get; set; }
    public UserEntity? User { get; set; }

    public required string TokenHash { get; set; }

    /// <summary>The first characters, to recognise a token in lists without storing it.</summary>
    public required string Prefix { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
