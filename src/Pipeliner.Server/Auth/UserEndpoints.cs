using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Auth;

/// <summary>
/// Users, for admins: create, list, change the role, disable, set a password. A user's tokens act with at most the user's current
/// role and are refused while the user is disabled (see <see cref="TokenAccess"/>). Users are never deleted, as the
/// audit log and deployments keep naming them.
/// </summary>
public static class UserEndpoints
{
    public static void MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users").WithAuthProblems().RequireAuthorization(Policies.Admin);
        users.MapPost("/", CreateAsync).ProducesValidationProblem()
            .WithProblems(StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
        users.MapGet("/", ListAsync);
        users.MapPatch("/{name}", UpdateAsync).ProducesValidationProblem()
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status415UnsupportedMediaType);
    }

    private static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateUserRequest? request, PipelinerDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = UserContracts.Validate(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var name = request!.Name!.Trim();
        if (await FindAnyCaseAsync(db, name, cancellationToken) is { } existing)
            return Problems.Conflict($"a user named '{existing.Name}' exists already");

        var user = new UserEntity { Name = name, Role = request.Role!, CreatedAt = time.GetUtcNow() };
        db.Users.Add(user);
        audit.Add(new AuditEvent("user.create", null, $"user {user.Name}", $"role {user.Role}"));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // Another request created the same name between the check above and this save.
            return Problems.Conflict($"a user named '{name}' exists already");
        }
        return TypedResults.Created($"/api/users/{Uri.EscapeDataString(user.Name)}", user.ToResponse(0, 0));
    }

    private static async Task<Ok<List<UserResponse>>> ListAsync(PipelinerDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Name)
            .Select(u => new
            {
                User = u,
                Tokens = u.Tokens.Count,
                Active = u.Tokens.Count(t => t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now)),
            })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(users.Select(u => u.User.ToResponse(u.Tokens, u.Active)).ToList());
    }

    private static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string name, UpdateUserRequest? request, PipelinerDbContext db, AuditTrail audit, TimeProvider time, Passwords passwords,
        SessionStore sessions, CancellationToken cancellationToken)
    {
        var errors = UserContracts.Validate(request);
        if (request?.Password is { } password && passwords.Problem(password, name) is { } problem) errors["password"] = [problem];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var user = await db.Users.FirstOrDefaultAsync(u => u.Name == name, cancellationToken);
        if (user is null) return Problems.NotFound($"no user '{name}'");

        var now = time.GetUtcNow();
        var role = request!.Role ?? user.Role;
        var disabled = request.Disabled ?? user.DisabledAt is not null;
        var staysAdmin = role == Role.Admin.ToName() && !disabled;
        if (!staysAdmin && !await TokenAccess.WorkingAdminTokens(db, now).AnyAsync(t => t.UserId != user.Id, cancellationToken))
            return Problems.Conflict(
                $"'{user.Name}' is the last admin with a working admin token: give another user the admin role and an admin token first");

        if (role != user.Role)
        {
            audit.Add(new AuditEvent("user.update", null, $"user {user.Name}", $"role {user.Role} → {role}"));
            user.Role = role;
        }
        if (disabled != user.DisabledAt is not null)
        {
            audit.Add(new AuditEvent(disabled ? "user.disable" : "user.enable", null, $"user {user.Name}",
                disabled ? "every token and session of the user is refused" : "the user's tokens work again"));
            user.DisabledAt = disabled ? now : null;
        }
        var endsSessions = disabled || request.Password is not null;
        if (request.Password is not null)
        {
            passwords.Set(user, request.Password, now);
            audit.Add(new AuditEvent("user.password.set", null, $"user {user.Name}", "by an admin; the user's sessions end"));
        }
        await db.SaveChangesAsync(cancellationToken);
        // Disabled or given a new password: whoever is signed in as the user signs in again (or cannot).
        if (endsSessions) await sessions.EndAllAsync(user.Id, except: null, cancellationToken);
        var tokens = await db.ApiTokens.Where(t => t.UserId == user.Id)
            .Select(t => new { Active = t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now) })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(user.ToResponse(tokens.Count, tokens.Count(t => t.Active)));
    }

    /// <summary>Names are unique regardless of (ASCII) case, so that "Alice" and "alice" cannot be two people.</summary>
    public static Task<UserEntity?> FindAnyCaseAsync(PipelinerDbContext db, string name, CancellationToken cancellationToken) =>
        db.Users.NamedAnyCase(db, name).FirstOrDefaultAsync(cancellationToken);

    private static UserResponse ToResponse(this UserEntity user, int tokens, int activeTokens) =>
        new(user.Name, user.Role, user.CreatedAt, user.DisabledAt, tokens, activeTokens, user.PasswordHash is not null, user.OidcSubject is not null);
}
