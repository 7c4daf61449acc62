using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Dashboard;

/// <summary>Who the caller is (name and role), or nobody; and whether reading needs a token at all.</summary>
public sealed record MeResponse(string? Name, string? Role, bool AnonymousRead);

/// <summary><c>GET /api/me</c>: lets the dashboard check a token and show only the actions the role allows.</summary>
public static class MeEndpoint
{
    public static void MapMe(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/me", GetMe).WithTags("Dashboard").AllowAnonymous();

    private static Results<Ok<MeResponse>, ProblemHttpResult> GetMe(HttpContext http, IOptions<PipelinerOptions> options)
    {
        var anonymousRead = options.Value.Auth.AnonymousRead;
        if (http.User.Identity?.IsAuthenticated == true)
            return TypedResults.Ok(new MeResponse(http.User.Identity.Name, http.User.FindFirstValue(ClaimTypes.Role), anonymousRead));
        // A token was sent but not accepted: say so, rather than answer as if none was sent.
        if (http.Request.Headers.Authorization.Count > 0)
            return Problems.Unauthorized("unknown, revoked or expired token");
        return TypedResults.Ok(new MeResponse(null, null, anonymousRead));
    }
}
