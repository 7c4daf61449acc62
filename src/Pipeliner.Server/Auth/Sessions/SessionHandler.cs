using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// Authenticates the dashboard's session cookie against the sessions in the database. The identity is the session's
/// user with the user's current role, so a role change or a disabled user takes effect on the next request.
/// </summary>
public sealed class SessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";

    /// <summary>The session's id, for signing out and for ending the user's other sessions.</summary>
    public const string SessionIdClaim = "pipeliner:session";

    /// <summary>The anti-forgery proof the session's writes must carry.</summary>
    public const string CsrfClaim = "pipeliner:csrf";

    /// <summary>How the session began: <c>password</c> or <c>oidc</c>.</summary>
    public const string MethodClaim = "pipeliner:sign-in";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (SessionCookies.Read(Request) is not { } cookie) return AuthenticateResult.NoResult();
        var session = await sessions.FindAsync(cookie, Context.RequestAborted);
        if (session?.User is not { } user || !Roles.TryParse(user.Role, out var role))
            return AuthenticateResult.Fail("unknown or expired session, or a disabled user");

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, user.Name),
            new Claim(ClaimTypes.Role, role.ToName()),
            new Claim(SessionIdClaim, session.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(CsrfClaim, session.CsrfToken),
            new Claim(MethodClaim, session.Method),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

public static class SessionClaims
{
    /// <summary>The session the request came with; null for a token or nobody.</summary>
    public static long? SessionId(this ClaimsPrincipal user) =>
        user.Identity?.AuthenticationType == SessionHandler.SchemeName
        && long.TryParse(user.FindFirstValue(SessionHandler.SessionIdClaim), CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    public static int? UserId(this ClaimsPrincipal user) =>
        int.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), CultureInfo.InvariantCulture, out var id) ? id : null;
}
