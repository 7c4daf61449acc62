using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth.Oidc;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// Dashboard sign-in: <c>POST /api/session</c> with a password, <c>GET /api/session/oidc</c> through the OpenID Connect
/// provider, <c>DELETE /api/session</c> to sign out (the session ends on the server).
/// </summary>
public static class SessionEndpoints
{
    public const string WrongCredentials = "wrong user name or password";

    public static void MapSessions(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/session").WithTags("Session").AllowAnonymous();
        session.MapPost("/", SignInAsync).ProducesValidationProblem()
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        session.MapDelete("/", SignOutAsync).WithProblems(StatusCodes.Status403Forbidden);
        session.MapGet("/oidc", SingleSignOn).WithProblems(StatusCodes.Status404NotFound);
        session.MapGet("/oidc/sign-out", OidcSignOut.EndProviderSessionAsync).WithProblems(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SignInAsync(
        SignInRequest? request, HttpContext http, PipelinerDbContext db, Passwords passwords, SignInThrottle throttle,
        SessionStore sessions, AuditTrail audit, IOptions<PipelinerOptions> options, ILoggerFactory loggers,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = SessionContracts.Validate(request);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var name = request!.User!.Trim();
        var address = http.Connection.RemoteIpAddress?.ToString();
        if (await throttle.BeginAsync(name, address, cancellationToken) is { } blockedUntil)
        {
            loggers.CreateLogger(typeof(SessionEndpoints)).LogWarning("Sign-in as {User} from {Address} refused: too many failures, blocked until {Until:O}",
                SessionContracts.Printable(name), address, blockedUntil);
            return TooMany(http, blockedUntil - time.GetUtcNow());
        }

        var user = await UserEndpoints.FindAnyCaseAsync(db, name, cancellationToken);
        // The password is checked even for a disabled or unknown user, so that every refusal takes as long.
        var passwordRight = passwords.Verify(user, request.Password);
        if (user is null || !passwordRight || user.DisabledAt is not null)
        {
            var wait = await throttle.FailedAsync(name, address, cancellationToken);
            var why = user is null ? "no such user" : user.PasswordHash is null ? "the user has no password"
                : !passwordRight ? "wrong password" : "the user is disabled";
            audit.Add(new AuditEvent("session.fail", null, $"user {SessionContracts.Printable(name)}",
                wait is { } until ? $"{why}; further attempts for this name wait until {until:O}" : why));
            await db.SaveChangesAsync(cancellationToken);
            return Problems.Unauthorized(WrongCredentials);
        }

        await throttle.SucceededAsync(name, address, cancellationToken);
        var remember = request.Remember == true;
        var session = options.Value.Auth.Session;
        audit.Add(new AuditEvent("session.create", null, $"user {user.Name}",
            $"password; {(remember ? $"kept for {session.RememberFor}" : $"ends after {session.IdleTimeout} without use")}"), actor: user.Name);
        // Saves the audit entry (and an upgraded password hash) with the session.
        await sessions.StartAsync(http, user, "password", remember, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SignOutAsync(HttpContext http, SessionStore sessions, SessionCookies cookies, AuditTrail audit,
        PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (http.User.SessionId() is { } id)
        {
            await sessions.EndAsync(id, cancellationToken);
            audit.Add(new AuditEvent("session.end", null, $"user {http.User.Identity!.Name}", "signed out"));
            await db.SaveChangesAsync(cancellationToken);
        }
        cookies.Clear(http);
        return TypedResults.NoContent();
    }

    /// <summary>Sends the browser to the provider; it comes back to <c>/signin-oidc</c>, which starts the session and goes to <c>next</c>.</summary>
    private static Results<ChallengeHttpResult, ProblemHttpResult> SingleSignOn(string? next, bool? remember, IOptions<PipelinerOptions> options)
    {
        if (!options.Value.Auth.Oidc.Enabled)
            return Problems.NotFound("single sign-on is not configured (Pipeliner:Auth:Oidc:Authority)");
        var properties = new AuthenticationProperties { RedirectUri = SessionContracts.SafeReturnPath(next) };
        properties.Items[OidcEvents.RememberItem] = remember == true ? "true" : "false";
        return TypedResults.Challenge(properties, [OidcSetup.SchemeName]);
    }

    /// <summary>429 with Retry-After: the attempt was not checked at all.</summary>
    public static ProblemHttpResult TooMany(HttpContext http, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Problem(StatusCodes.Status429TooManyRequests, "Too many requests",
            $"too many failed sign-ins for this user name or from this address: try again in {seconds} s");
    }
}
