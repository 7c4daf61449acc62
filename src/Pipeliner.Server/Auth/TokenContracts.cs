using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Auth;

/// <summary>
/// <c>POST /api/tokens</c>: whose token it is (<c>user</c>), what it is for (<c>name</c>), its role (at most the user's;
/// the user's when left out), and when it stops working (never when null). Without <c>user</c> (the form from before
/// users), <c>name</c> is also the user: the user of that name, created with <c>role</c> when there is none.
/// </summary>
public sealed record CreateTokenRequest(string? User, string? Name, string? Role, DateTimeOffset? ExpiresAt);

/// <summary>The answer to a creation: the only time the token itself is shown.</summary>
public sealed record CreatedTokenResponse(
    int Id, string User, string Name, string Role, string Prefix, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A token as lists show it: whose, what it is for, never the token.</summary>
public sealed record TokenResponse(
    int Id, string User, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

public static class TokenContracts
{
    public const int MaxNameLength = 100;

    /// <summary>Every problem of the request's own fields, by field; empty when they are valid.</summary>
    public static Dictionary<string, string[]> Validate(CreateTokenRequest? request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (request?.User is { } user && string.IsNullOrWhiteSpace(user))
            errors["user"] = ["the name of an existing user (or leave it out: the token's name is then its user)"];
        if (string.IsNullOrWhiteSpace(request?.Name) || request.Name.Trim().Length > MaxNameLength)
            errors["name"] = [$"what the token is for, 1 to {MaxNameLength} characters"];
        if (request?.Role is null && request?.User is null)
            errors["role"] = [$"{UserContracts.RoleProblem} (needed without a user)"];
        else if (request.Role is not null && !Roles.TryParse(request.Role, out _))
            errors["role"] = [UserContracts.RoleProblem];
        if (request?.ExpiresAt is { } expiresAt && expiresAt <= now)
            errors["expiresAt"] = ["a time in the future (or leave it out for a token that does not expire)"];
        return errors;
    }

    /// <summary>The problems of the request against its user: disabled, or asking for more than the user may do.</summary>
    public static Dictionary<string, string[]> ValidateFor(UserEntity user, string? role, string userField)
    {
        var errors = new Dictionary<string, string[]>();
        if (user.DisabledAt is not null)
            errors[userField] = [$"user '{user.Name}' is disabled: enable it before giving it a token"];
        if (role is not null && Roles.TryParse(role, out var asked) && Roles.TryParse(user.Role, out var most) && asked > most)
            errors["role"] = [$"at most the user's role, {user.Role}"];
        return errors;
    }

    public static TokenResponse ToResponse(this ApiTokenEntity token, string user) =>
        new(token.Id, user, token.Name, token.Role, token.Prefix, token.CreatedAt, token.ExpiresAt, token.RevokedAt);
}
