using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Auth;

/// <summary><c>POST /api/tokens</c>: a name to recognise the token by, its role, and when it stops working (never when null).</summary>
public sealed record CreateTokenRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt);

/// <summary>The answer to a creation: the only time the token itself is shown.</summary>
public sealed record CreatedTokenResponse(int Id, string Name, string Role, string Prefix, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A token as lists show it: what it is for, never the token.</summary>
public sealed record TokenResponse(int Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

public static class TokenContracts
{
    public const int MaxNameLength = 100;

    /// <summary>Every problem of the request, by field; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(CreateTokenRequest? request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.Name) || request.Name.Length > MaxNameLength)
            errors["name"] = [$"a name to recognise the token by, 1 to {MaxNameLength} characters"];
        if (!Roles.TryParse(request?.Role, out _))
            errors["role"] = [$"one of {string.Join(", ", Roles.Names)}"];
        if (request?.ExpiresAt is { } expiresAt && expiresAt <= now)
            errors["expiresAt"] = ["a time in the future (or leave it out for a token that does not expire)"];
        return errors;
    }

    public static TokenResponse ToResponse(this ApiTokenEntity token) =>
        new(token.Id, token.Name, token.Role, token.Prefix, token.CreatedAt, token.ExpiresAt, token.RevokedAt);
}
