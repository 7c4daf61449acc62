using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Auth;

/// <summary>
/// <c>PUT /api/me/password</c>: a signed-in user changes their own password, proving the current one (so a token,
/// which may be scoped below its user's role, can never give itself a password sign-in). Wrong guesses count against
/// the same slowdown as sign-ins. The user's other sessions end; this one stays.
/// </summary>
public static class PasswordEndpoints
{
    public static void MapPasswords(this IEndpointRouteBuilder app) =>
        app.MapPut("/api/me/password", ChangeAsync).WithTags("Session").RequireAuthorization(Policies.SignedIn)
            .ProducesValidationProblem()
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status429TooManyRequests);

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        ChangePasswordRequest? request, HttpContext http, PipelinerDbContext db, Passwords passwords, SignInThrottle throttle,
        SessionStore sessions, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var userId = http.User.UserId();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null) return Problems.Unauthorized("the signed-in user no longer exists");
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request?.Current))
            errors["current"] = [user.PasswordHash is null ? "you have no password yet: an admin sets the first one" : "your current password"];
        if (passwords.Problem(request?.New, user.Name) is { } problem) errors["new"] = [problem];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var address = http.Connection.RemoteIpAddress?.ToString();
        if (await throttle.BeginAsync(user.Name, address, cancellationToken) is { } blockedUntil)
            return SessionEndpoints.TooMany(http, blockedUntil - time.GetUtcNow());
        if (!passwords.Verify(user, request!.Current))
        {
            await throttle.FailedAsync(user.Name, address, cancellationToken);
            audit.Add(new AuditEvent("user.password.fail", null, $"user {user.Name}", "a password change with a wrong current password"));
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["current"] = [user.PasswordHash is null ? "you have no password yet: an admin sets the first one" : "not your current password"],
            });
        }

        await throttle.SucceededAsync(user.Name, address, cancellationToken);
        passwords.Set(user, request.New!, time.GetUtcNow());
        var ended = await sessions.EndAllAsync(user.Id, except: http.User.SessionId(), cancellationToken);
        audit.Add(new AuditEvent("user.password.change", null, $"user {user.Name}", $"by the user; {ended} other session(s) ended"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}
