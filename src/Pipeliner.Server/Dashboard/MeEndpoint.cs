using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Dashboard;

/// <summary>
/// Who the caller is, or nobody: <c>name</c> is who the dashboard shows as signed in, which is the token's or the
/// session's user (also given as <c>user</c>); <c>token</c> is what the token is for; <c>role</c> what the request may
/// do (for a token the lower of the token's and the user's role). And whether reading needs a sign-in at all, whether
/// the caller came with a session cookie (<c>session</c>, with the anti-forgery proof its writes must carry as
/// <c>csrfToken</c>), and the single sign-on button's label (<c>sso</c>; null when it is not configured). <c>signIn</c> is how
/// the session began (<c>password</c> or <c>oidc</c>: signing out of the latter also ends the provider's session).
/// </summary>
public sealed record MeResponse(
    string? Name, string? User, string? Token, string? Role, bool AnonymousRead, bool Session = false, string? CsrfToken = null,
    string? Sso = null, string? SignIn = null);

/// <summary><c>GET /api/me</c>: lets the dashboard check a sign-in and show only the actions the role allows.</summary>
public static class MeEndpoint
{
    public static void MapMe(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/me", GetMe).WithTags("Dashboard").AllowAnonymous();

    private static Results<Ok<MeResponse>, ProblemHttpResult> GetMe(HttpContext http, IOptions<PipelinerOptions> options)
    {
        var auth = options.Value.Auth;
        var sso = auth.Oidc.Enabled ? auth.Oidc.DisplayName : null;
        if (http.User.Identity?.IsAuthenticated == true)
        {
            var user = http.User.Identity.Name;
            var session = http.User.SessionId() is not null;
            return TypedResults.Ok(new MeResponse(user, user, http.User.FindFirstValue(BearerTokenHandler.TokenNameClaim),
                http.User.FindFirstValue(ClaimTypes.Role), auth.AnonymousRead, session,
                session ? http.User.FindFirstValue(SessionHandler.CsrfClaim) : null, sso,
                session ? http.User.FindFirstValue(SessionHandler.MethodClaim) : null));
        }
        // A token was sent but not accepted: say so, rather than answer as if none was sent. An ended session is
        // simply nobody: the dashboard shows its sign-in page.
        if (http.Request.Headers.Authorization.Count > 0)
            return Problems.Unauthorized("unknown, revoked or expired token, or a disabled user");
        return TypedResults.Ok(new MeResponse(null, null, null, null, auth.AnonymousRead, Sso: sso));
    }
}
