namespace Pipeliner.Server.Auth.Sessions;

/// <summary><c>POST /api/session</c>: who signs in, their password, and "keep me signed in".</summary>
public sealed record SignInRequest(string? User, string? Password, bool? Remember);

/// <summary><c>PUT /api/me/password</c>: the current password and the new one.</summary>
public sealed record ChangePasswordRequest(string? Current, string? New);

public static class SessionContracts
{
    public static Dictionary<string, string[]> Validate(SignInRequest? request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request?.User)) errors["user"] = ["your user name"];
        if (string.IsNullOrEmpty(request?.Password)) errors["password"] = ["your password"];
        return errors;
    }

    /// <summary>A name someone typed, fit for the audit log: no control characters, at most 100 characters.</summary>
    public static string Printable(string name)
    {
        var clean = new string([.. name.Trim().Where(c => !char.IsControl(c))]);
        return clean.Length <= UserContracts.MaxNameLength ? clean : clean[..UserContracts.MaxNameLength] + "…";
    }

    /// <summary>Where to go after signing in: only a path of this server, never another site.</summary>
    public static string SafeReturnPath(string? next) =>
        next is { Length: > 0 } && next[0] == '/' && !next.StartsWith("//", StringComparison.Ordinal) && !next.Contains('\\', StringComparison.Ordinal)
            ? next
            : "/";
}
