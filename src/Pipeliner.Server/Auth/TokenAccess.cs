using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Auth;

/// <summary>
/// What a token may do now: the lower of its own role and its user's current role, or nothing when it is revoked,
/// expired, or its user is disabled. Checked on every request, so changing a user takes effect at once on all their tokens.
/// </summary>
public static class TokenAccess
{
    public static Role? EffectiveRole(ApiTokenEntity token, UserEntity user, DateTimeOffset now)
    {
        if (token.RevokedAt is not null || token.ExpiresAt <= now || user.DisabledAt is not null) return null;
        if (!Roles.TryParse(token.Role, out var tokenRole) || !Roles.TryParse(user.Role, out var userRole)) return null;
        return Roles.Min(tokenRole, userRole);
    }

    /// <summary>The tokens that act as admin now (admin token, admin user, not disabled, revoked or expired).</summary>
    public static IQueryable<ApiTokenEntity> WorkingAdminTokens(PipelinerDbContext db, DateTimeOffset now)
    {
        var admin = Role.Admin.ToName();
        return db.ApiTokens.Where(t => t.Role == admin && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now)
            && t.User!.Role == admin && t.User.DisabledAt == null);
    }
}
