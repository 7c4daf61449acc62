namespace Pipeliner.Server.Data.Entities;

/// <summary>A person (or a service account): the identity audit entries, approvals and deployments name.</summary>
public sealed class UserEntity
{
    public int Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The most the user's tokens may do; a token's own role can only be lower.</summary>
    public required string Role { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When set, every token and session of the user is refused.</summary>
    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>The password hashed by ASP.NET Core Identity's <c>PasswordHasher</c>; null: no password sign-in.</summary>
    public string? PasswordHash { get; set; }

    public DateTimeOffset? PasswordChangedAt { get; set; }

    /// <summary>The OpenID Connect provider (<c>iss</c>) and subject (<c>sub</c>) this user signs in as, when linked.</summary>
    public string? OidcIssuer { get; set; }

    public string? OidcSubject { get; set; }

    public List<ApiTokenEntity> Tokens { get; } = [];
}
