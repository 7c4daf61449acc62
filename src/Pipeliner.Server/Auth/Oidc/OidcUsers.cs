using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Oidc;

/// <summary>Who an OpenID Connect sign-in is in Pipeliner: the user, or why there is none.</summary>
public sealed record OidcSignInResult(UserEntity? User, string? Problem);

/// <summary>
/// Finds the Pipeliner user of a provider account by its issuer and subject (never by name, so a provider account
/// named "admin" does not become the local admin), or creates it at the first sign-in with the role the role claim
/// names, or the default role. A name already taken by another user is refused rather than linked. When the role
/// claim is configured and names a role, the user's role follows it at every sign-in.
/// </summary>
public sealed class OidcUsers(PipelinerDbContext db, AuditTrail audit, IOptions<PipelinerOptions> options, TimeProvider time)
{
    private OidcOptions Settings => options.Value.Auth.Oidc;

    public async Task<OidcSignInResult> FindOrCreateAsync(ClaimsPrincipal account, CancellationToken cancellationToken)
    {
        if (account.FindFirst("sub") is not { Value.Length: > 0 } subject)
            return new(null, "the provider sent no subject (sub) for the account");
        var issuer = subject.Issuer;
        var role = RoleOf(account);
        var user = await db.Users.FirstOrDefaultAsync(u => u.OidcIssuer == issuer && u.OidcSubject == subject.Value, cancellationToken);
        if (user is null) return await CreateAsync(account, issuer, subject.Value, role, cancellationToken);

        if (user.DisabledAt is not null) return new(null, $"the Pipeliner user '{user.Name}' is disabled");
        if (role is { } named && named.ToName() != user.Role)
        {
            audit.Add(new AuditEvent("user.update", null, $"user {user.Name}", $"role {user.Role} → {named.ToName()} (from the provider's {Settings.RoleClaim} claim)"),
                actor: user.Name);
            user.Role = named.ToName();
            await db.SaveChangesAsync(cancellationToken);
        }
        return new(user, null);
    }

    /// <summary>The highest Pipeliner role the role claim names; null when it is not configured or names none.</summary>
    public Role? RoleOf(ClaimsPrincipal account)
    {
        if (string.IsNullOrWhiteSpace(Settings.RoleClaim)) return null;
        Role? highest = null;
        foreach (var claim in account.FindAll(Settings.RoleClaim))
        {
            if (Roles.TryParse(claim.Value.Trim(), out var role) && (highest is null || role > highest)) highest = role;
        }
        return highest;
    }

    /// <summary>The name the account gets in Pipeliner: the configured claim, else its email, else its subject.</summary>
    public string NameOf(ClaimsPrincipal account) =>
        new[] { Settings.NameClaim, "email", "sub" }.Select(type => account.FindFirst(type)?.Value?.Trim()).First(v => !string.IsNullOrEmpty(v))!;

    private async Task<OidcSignInResult> CreateAsync(ClaimsPrincipal account, string issuer, string subject, Role? role, CancellationToken cancellationToken)
    {
        var name = NameOf(account);
        if (UserContracts.NameProblem(name) is { } problem)
            return new(null, $"your name at the provider ('{Sessions.SessionContracts.Printable(name)}') cannot be a Pipeliner user name: {problem}");
        if (await UserEndpoints.FindAnyCaseAsync(db, name, cancellationToken) is { } other)
            return new(null, $"a Pipeliner user named '{other.Name}' exists already and is not this single sign-on account: ask an admin");

        var user = new UserEntity
        {
            Name = name,
            Role = (role ?? (Roles.TryParse(Settings.DefaultRole, out var fallback) ? fallback : Role.Viewer)).ToName(),
            CreatedAt = time.GetUtcNow(),
            OidcIssuer = issuer,
            OidcSubject = subject,
        };
        db.Users.Add(user);
        audit.Add(new AuditEvent("user.create", null, $"user {user.Name}", $"role {user.Role}, at their first single sign-on"), actor: user.Name);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // The same account signing in twice at once, or someone took the name: one of them wins.
            db.ChangeTracker.Clear();
            var linked = await db.Users.FirstOrDefaultAsync(u => u.OidcIssuer == issuer && u.OidcSubject == subject, cancellationToken);
            return linked is null ? new(null, $"a Pipeliner user named '{name}' was just created: try again or ask an admin") : new(linked, null);
        }
        return new(user, null);
    }
}
