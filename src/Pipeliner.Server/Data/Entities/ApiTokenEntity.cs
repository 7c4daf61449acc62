namespace Pipeliner.Server.Data.Entities;

/// <summary>An API token; only its SHA-256 hash is stored.</summary>
public sealed class ApiTokenEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Role { get; set; }
    public required string TokenHash { get; set; }

    /// <summary>The first characters, to recognise a token in lists without storing it.</summary>
    public required string Prefix { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
