namespace Pipeliner.Server.Auth;

/// <summary><c>POST /api/users</c>: the name everything shows (audit, approvals, deployments) and the most the user may do.</summary>
public sealed record CreateUserRequest(string? Name, string? Role);

/// <summary>
/// <c>PATCH /api/users/{name}</c>: a new role, and/or disabled (true) or enabled again (false), and/or a new password
/// (which ends the user's sessions); a field left out stays.
/// </summary>
public sealed record UpdateUserRequest(string? Role, bool? Disabled, string? Password = null);

/// <summary>
/// A user as the API shows it, with how many tokens they hold and how many of those work, whether they can sign in
/// with a password and whether they are linked to single sign-on.
/// </summary>
public sealed record UserResponse(
    string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, int Tokens, int ActiveTokens, bool HasPassword, bool Sso);

public static class UserContracts
{
    public const int MaxNameLength = 100;

    public static Dictionary<string, string[]> Validate(CreateUserRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (NameProblem(request?.Name) is { } problem) errors["name"] = [problem];
        if (!Roles.TryParse(request?.Role, out _)) errors["role"] = [RoleProblem];
        return errors;
    }

    public static Dictionary<string, string[]> Validate(UpdateUserRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request is null || (request.Role is null && request.Disabled is null && request.Password is null))
            errors["role"] = ["give a new role, disabled (true or false), a password, or several of these"];
        else if (request.Role is not null && !Roles.TryParse(request.Role, out _))
            errors["role"] = [RoleProblem];
        return errors;
    }

    public static string RoleProblem => $"one of {string.Join(", ", Roles.Names)}";

    /// <summary>Names appear in URLs (<c>/api/users/{name}</c>) and in every log line of who did what: no slash, no control character.</summary>
    public static string? NameProblem(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxNameLength) return $"1 to {MaxNameLength} characters";
        if (trimmed.Any(c => char.IsControl(c) || c == '/')) return "no slash and no control character";
        return null;
    }
}
