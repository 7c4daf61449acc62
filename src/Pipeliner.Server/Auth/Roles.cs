using System.Security.Claims;

namespace Pipeliner.Server.Auth;

/// <summary>What a user or token may do; each role includes the ones before it.</summary>
public enum Role
{
    Viewer,
    Developer,
    ReleaseManager,
    Admin,
}

public static class Roles
{
    public static readonly string[] Names = ["viewer", "developer", "release-manager", "admin"];

    public static string ToName(this Role role) => Names[(int)role];

    public static bool TryParse(string? name, out Role role)
    {
        var index = Array.IndexOf(Names, name);
        role = index < 0 ? default : (Role)index;
        return index >= 0;
    }

    public static Role Min(Role first, Role second) => first <= second ? first : second;

    public static bool Has(this ClaimsPrincipal user, Role least) =>
        TryParse(user.FindFirstValue(ClaimTypes.Role), out var role) && role >= least;
}
