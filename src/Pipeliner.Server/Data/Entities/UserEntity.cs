namespace Pipeliner.Server.Data.Entities;

/// <summary>A person (or a service account): the identity audit entries, approvals and deployments name.</summary>
public sealed class UserEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The most the user's tokens may do; a token's own role can only be lower.</summary>
    public required string Role { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When set, every token of the user is refused.</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    public List<ApiTokenEntity> Tokens { get; } = [];
}
