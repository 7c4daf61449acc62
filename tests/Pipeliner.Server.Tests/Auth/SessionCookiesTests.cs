using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// The session cookies' attributes as the browser receives them: Secure exactly when the server is reached over HTTPS
/// or published at an https address (<c>Pipeliner:PublicUrl</c>, a TLS proxy in front), HttpOnly for the session only.
/// </summary>
public sealed class SessionCookiesTests
{
    [Theory]
    [InlineData("http", null, false)]
    [InlineData("http", "http://ci.example.com", false)]
    [InlineData("https", null, true)]
    [InlineData("http", "https://ci.example.com", true)]
    [InlineData("http", "HTTPS://CI.EXAMPLE.COM/", true)]
    public void Write_MarksBothCookiesSecure_WhenTheServerIsReachedOrPublishedOverHttps(string scheme, string? publicUrl, bool secure)
    {
        var cookies = new SessionCookies(Options.Create(new PipelinerOptions { PublicUrl = publicUrl }));
        var http = new DefaultHttpContext();
        http.Request.Scheme = scheme;

        cookies.Write(http, "plr_session-token", "csrf-token", expires: null);

        var headers = http.Response.Headers.SetCookie.Select(h => SetCookie.Parse(h!)).ToDictionary(c => c.Name);
        Assert.Equal([SessionCookies.SessionName, SessionCookies.CsrfName], headers.Keys);
        Assert.All(headers.Values, c => Assert.Equal(secure, c.Has("secure")));
        Assert.True(headers[SessionCookies.SessionName].Has("httponly"));
        Assert.False(headers[SessionCookies.CsrfName].Has("httponly"));
    }

    [Fact]
    public void Clear_ExpiresBothCookiesWithTheSameAttributes_WhenTheServerIsReachedOverHttps()
    {
        var cookies = new SessionCookies(Options.Create(new PipelinerOptions()));
        var http = new DefaultHttpContext();
        http.Request.Scheme = "https";

        cookies.Clear(http);

        var cleared = http.Response.Headers.SetCookie.Select(h => SetCookie.Parse(h!)).ToList();
        Assert.Equal([SessionCookies.SessionName, SessionCookies.CsrfName], cleared.Select(c => c.Name));
        Assert.All(cleared, c =>
        {
            Assert.True(c.Has("secure"), "a Secure cookie is only removed by a Secure Set-Cookie");
            Assert.Equal("lax", c.Attributes["samesite"]);
            Assert.True(DateTimeOffset.Parse(c.Attributes["expires"], System.Globalization.CultureInfo.InvariantCulture) < DateTimeOffset.UtcNow);
        });
    }
}
