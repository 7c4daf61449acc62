using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Dashboard;

/// <summary>
/// Who the caller is, or nobody: <c>name</c> is who the dashboard shows as signed in, which is the token's user (also
/// given as <c>user</c>); <c>token</c> is what the token is for; <c>role</c> what the request may do (the lower of the
/// token's and the user's role). And whether reading needs a token at all.
/// </summary>
public sealed record MeResponse(string? Name, string? User, string? Token, string? Role, bool AnonymousRead);

/// <summary><c>GET /api/me</c>: lets the dashboard check a token and show only the actions the role allows.</summary>
public static class MeEndpoint
{
    public static void MapMe(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/me", GetMe).WithTags("Dashboard").AllowAnonymous();

    private static Results<Ok<MeResponse>, ProblemHttpResult> GetMe(HttpContext http, IOptions<PipelinerOptions> options)
    {
        var anonymousRead = options.Value.Auth.AnonymousRead;
        if (http.User.Identity?.IsAuthenticated == true)
        {
            var user = http.User.Identity.Name;
            return TypedResults.Ok(new MeResponse(user, user, http.User.FindFirstValue(BearerTokenHandler.TokenNameClaim),
                http.User.FindFirstValue(ClaimTypes.Role), anonymousRead));
        }
        // A token was sent but not accepted: say so, rather than answer as if none was sent.
        if (http.Request.Headers.Authorization.Count > 0)
            return Problems.Unauthorized("unknown, revoked or expired token, or a disabled user");
        return TypedResults.Ok(new MeResponse(null, null, null, null, anonymousRead));
    }
}
