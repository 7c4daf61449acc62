using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Auth.Sessions;

/// <summary>
/// The two cookies of a dashboard session: <c>pipeliner_session</c> (HttpOnly: scripts never see it) and
/// <c>pipeliner_csrf</c> (readable by the dashboard, which sends it back as the <c>X-Pipeliner-Csrf</c> header on
/// writes). Both are SameSite=Lax — Strict would drop the session on a link from a forge's commit status or a chat —
/// and Secure when the server is reached (or published, <c>Pipeliner:PublicUrl</c>) over HTTPS.
/// </summary>
public sealed class SessionCookies(IOptions<PipelinerOptions> options)
{
    public const string SessionName = "pipeliner_session";
    public const string CsrfName = "pipeliner_csrf";
    public const string CsrfHeader = "X-Pipeliner-Csrf";

    public void Write(HttpContext http, string token, string csrf, DateTimeOffset? expires)
    {
        http.Response.Cookies.Append(SessionName, token, Options(http, httpOnly: true, expires));
        http.Response.Cookies.Append(CsrfName, csrf, Options(http, httpOnly: false, expires));
    }

    public void Clear(HttpContext http)
    {
        http.Response.Cookies.Delete(SessionName, Options(http, httpOnly: true, expires: null));
        http.Response.Cookies.Delete(CsrfName, Options(http, httpOnly: false, expires: null));
    }

    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(SessionName, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private CookieOptions Options(HttpContext http, bool httpOnly, DateTimeOffset? expires) => new()
    {
        HttpOnly = httpOnly,
        Secure = http.Request.IsHttps || options.Value.PublicUrl?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
