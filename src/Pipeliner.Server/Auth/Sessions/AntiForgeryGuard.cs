using System.Security.Cryptography;
using System.Text;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// The one place writes made with the session cookie are checked for the dashboard's anti-forgery proof: the
/// session's CSRF token in the <c>X-Pipeliner-Csrf</c> header (the dashboard reads it from the <c>pipeliner_csrf</c>
/// cookie, which another site can neither read nor set). A page on another site can make the browser send the cookie
/// but not the header, so its forged write is refused with 403. Requests with a bearer token carry no ambient
/// credential and need no proof.
/// </summary>
public sealed class AntiForgeryGuard(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http, IProblemDetailsService problems)
    {
        if (IsSafe(http.Request.Method) || http.User.Identity?.AuthenticationType != SessionHandler.SchemeName || HasProof(http))
        {
            await next(http);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "Forbidden",
                Detail = $"a write with the session cookie needs the anti-forgery proof: the {SessionCookies.CsrfName} cookie's value " +
                         $"in the {SessionCookies.CsrfHeader} header (or use an API token)",
            },
        });
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    private static bool HasProof(HttpContext http)
    {
        var expected = http.User.FindFirst(SessionHandler.CsrfClaim)?.Value;
        var sent = http.Request.Headers[SessionCookies.CsrfHeader].ToString();
        return expected is not null && sent.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(sent));
    }
}
