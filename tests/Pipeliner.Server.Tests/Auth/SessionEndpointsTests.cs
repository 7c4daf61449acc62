using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Auth.Sessions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>Signing in with a password gives a server-side session in a cookie; signing out, disabling and expiry end it.</summary>
public abstract class SessionEndpointsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : SessionApp
{
    [Fact]
    public async Task SignIn_Returns204WithHttpOnlyLaxCookies_WhenThePasswordIsRight()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "dev");
        using var browser = app.Browser();

        using var response = await browser.PostSessionAsync(name.ToUpperInvariant(), SessionApi.Password);

        await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        var session = SessionApi.CookieOf(response, SessionCookies.SessionName)!;
        var csrf = SessionApi.CookieOf(response, SessionCookies.CsrfName)!;
        Assert.True(session.Has("httponly") && !csrf.Has("httponly"), "the session cookie is HttpOnly, the anti-forgery cookie readable");
        Assert.All([session, csrf], cookie =>
        {
            Assert.Equal("lax", cookie.Attributes["samesite"]);
            Assert.Equal("/", cookie.Attributes["path"]);
            Assert.False(cookie.Has("expires"), "without 'keep me signed in' the cookie ends with the browser");
            Assert.False(cookie.Has("secure"), "plain http: a Secure cookie would never be sent back");
        });
        Assert.StartsWith("plr_", session.Value);
        Assert.NotEqual(session.Value, csrf.Value);
        var stored = await app.WithDbAsync(db => db.Sessions.AsNoTracking().SingleAsync(s => s.User!.Name == name));
        Assert.NotEqual(session.Value, stored.TokenHash);

        var me = await browser.MeAsync();
        Assert.Equal((name, "developer", true, csrf.Value), (me.GetProperty("name").GetString(), me.GetProperty("role").GetString(),
            me.GetProperty("session").GetBoolean(), me.GetProperty("csrfToken").GetString()));
        Assert.Equal("password", me.GetProperty("signIn").GetString());
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/projects")).StatusCode);
        var audit = await app.Client().AuditOfAsync($"user {name}");
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "session.create" && e.GetProperty("actor").GetString() == name);
    }

    [Fact]
    public async Task SignIn_SetsSecureCookiesThatWorkOverHttps_WhenTheServerIsReachedOverHttps()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "tls");
        using var browser = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true,
        });

        using var response = await browser.PostSessionAsync(name, SessionApi.Password);

        await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        Assert.All([SessionApi.CookieOf(response, SessionCookies.SessionName)!, SessionApi.CookieOf(response, SessionCookies.CsrfName)!],
            cookie => Assert.True(cookie.Has("secure"), $"{cookie.Name} is not Secure over https"));
        Assert.Equal(name, (await browser.MeAsync()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task SignIn_SetsCookiesThatExpireAfterRememberFor_WhenKeepMeSignedInIsAsked()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "kept");
        using var browser = app.Browser();

        using var response = await browser.PostSessionAsync(name, SessionApi.Password, remember: true);

        await Api.ExpectAsync(response, HttpStatusCode.NoContent);
        var expires = DateTimeOffset.Parse(SessionApi.CookieOf(response, SessionCookies.SessionName)!.Attributes["expires"], System.Globalization.CultureInfo.InvariantCulture);
        var expected = app.Clock.GetUtcNow() + TimeSpan.FromDays(3);
        Assert.InRange(expires, expected - TimeSpan.FromMinutes(1), expected + TimeSpan.FromMinutes(1));
        Assert.True(await app.WithDbAsync(db => db.Sessions.AnyAsync(s => s.User!.Name == name && s.Persistent)));
    }

    [Fact]
    public async Task SignIn_Returns401WithTheSameProblem_WhetherTheUserIsUnknownDisabledWithoutPasswordOrThePasswordWrong()
    {
        var known = await app.CreateUserWithPasswordAsync(Role.Viewer, "known");
        var disabled = await app.CreateUserWithPasswordAsync(Role.Viewer, "off");
        using var admin = app.Client();
        (await admin.PatchUserAsync(disabled, new { disabled = true })).Dispose();
        var tokenOnly = await admin.CreateUserAsync("viewer", "tokens");

        var answers = new List<string>();
        foreach (var (user, password) in new[] { (known, "wrong password!"), ("nobody-" + Guid.NewGuid(), SessionApi.Password), (disabled, SessionApi.Password), (tokenOnly, SessionApi.Password) })
        {
            using var browser = app.Browser(address: "10.9.8.7");
            using var response = await browser.PostSessionAsync(user, password);
            var problem = await Api.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Null(SessionApi.CookieOf(response, SessionCookies.SessionName));
            answers.Add($"{problem.GetProperty("title")}|{problem.GetProperty("detail")}");
        }

        Assert.Single(answers.Distinct());
        Assert.Equal("Unauthorized|wrong user name or password", answers[0]);
        var failures = await admin.AuditOfAsync($"user {known}");
        Assert.Contains(failures, e => e.GetProperty("action").GetString() == "session.fail" && e.GetProperty("details").GetString() == "wrong password"
            && e.GetProperty("address").GetString() == "10.9.8.7");
    }

    public static TheoryData<string, string> InvalidSignIns => new()
    {
        { """{"password": "x"}""", "user" },
        { """{"user": " ", "password": "x"}""", "user" },
        { """{"user": "alice"}""", "password" },
        { """{"user": "alice", "password": ""}""", "password" },
    };

    [Theory]
    [MemberData(nameof(InvalidSignIns))]
    public async Task SignIn_Returns400NamingTheField_WhenAFieldIsMissing(string body, string field)
    {
        using var browser = app.Browser();
        using var response = await browser.PostAsync("/api/session", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var problem = await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_SoTheOldCookieNoLongerWorks()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "leaving");
        using var session = await app.SignInAsync(name);
        Assert.Equal(1, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.User!.Name == name)));

        using var signOut = await session.SendAsync(HttpMethod.Delete, "/api/session");

        await Api.ExpectAsync(signOut, HttpStatusCode.NoContent);
        var cleared = SessionApi.CookieOf(signOut, SessionCookies.SessionName)!;
        Assert.True(DateTimeOffset.Parse(cleared.Attributes["expires"], System.Globalization.CultureInfo.InvariantCulture) < DateTimeOffset.UtcNow);
        Assert.Equal(0, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.User!.Name == name)));
        Assert.Contains(await app.Client().AuditOfAsync($"user {name}"), e => e.GetProperty("action").GetString() == "session.end");
    }

    [Fact]
    public async Task Session_IsRefused_AfterSignOutEvenWhenTheCookieIsReplayed()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "replayed");
        using var browser = app.Browser();
        using var signIn = await browser.PostSessionAsync(name, SessionApi.Password);
        var cookie = SessionApi.CookieOf(signIn, SessionCookies.SessionName)!.Value;
        var csrf = SessionApi.CookieOf(signIn, SessionCookies.CsrfName)!.Value;
        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/api/session");
        signOut.Headers.Add(SessionCookies.CsrfHeader, csrf);
        (await browser.SendAsync(signOut)).Dispose();

        using var replay = app.Client(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/projects");
        request.Headers.Add("Cookie", $"{SessionCookies.SessionName}={cookie}");
        using var refused = await replay.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Session_EndsAfterTheIdleTimeout_AndSlidesWhileUsed()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "idle");
        using var session = await app.SignInAsync(name);

        app.Clock.Shift += TimeSpan.FromMinutes(20);
        Assert.Equal(name, (await session.Http.MeAsync()).GetProperty("name").GetString());
        app.Clock.Shift += TimeSpan.FromMinutes(20);
        Assert.Equal(name, (await session.Http.MeAsync()).GetProperty("name").GetString());
        app.Clock.Shift += TimeSpan.FromMinutes(31);

        var me = await session.Http.MeAsync();
        Assert.Equal(JsonValueKind.Null, me.GetProperty("name").ValueKind);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.Http.GetAsync("/api/projects")).StatusCode);
    }

    [Fact]
    public async Task RememberedSession_LastsRememberForWithoutUse_ThenEnds()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "weekend");
        using var session = await app.SignInAsync(name, remember: true);

        app.Clock.Shift += TimeSpan.FromDays(2);
        Assert.Equal(name, (await session.Http.MeAsync()).GetProperty("name").GetString());
        app.Clock.Shift += TimeSpan.FromDays(1.1);

        Assert.Equal(JsonValueKind.Null, (await session.Http.MeAsync()).GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task Session_EndsForGood_WhenTheUserIsDisabled_AndActsWithTheUsersCurrentRole()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Developer, "demoted");
        using var session = await app.SignInAsync(name);
        using var admin = app.Client();

        (await admin.PatchUserAsync(name, new { role = "viewer" })).Dispose();
        Assert.Equal("viewer", (await session.Http.MeAsync()).GetProperty("role").GetString());
        (await admin.PatchUserAsync(name, new { disabled = true })).Dispose();
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.Http.GetAsync("/api/projects")).StatusCode);
        (await admin.PatchUserAsync(name, new { disabled = false })).Dispose();

        Assert.Equal(HttpStatusCode.Unauthorized, (await session.Http.GetAsync("/api/projects")).StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Sessions.CountAsync(s => s.User!.Name == name)));
    }

    [Fact]
    public async Task Session_SurvivesAServerRestart_BecauseItIsStoredInTheDatabase()
    {
        var name = await app.CreateUserWithPasswordAsync(Role.Viewer, "restart");
        using var browser = app.Browser();
        using var signIn = await browser.PostSessionAsync(name, SessionApi.Password);
        var cookie = SessionApi.CookieOf(signIn, SessionCookies.SessionName)!.Value;

        // A second server on the same data directory: another replica, or the same one after a restart.
        await using var replica = new ReplicaApp(app.DataDir, app.DatabaseSettings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Add("Cookie", $"{SessionCookies.SessionName}={cookie}");
        using var client = replica.Anonymous();
        using var response = await client.SendAsync(request);

        var me = await response.Content.ReadFromJsonAsync<JsonElement>(Api.Json);
        Assert.Equal(name, me.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Token_StillWorksWithoutAnyProof_AndIsNotTakenForASession()
    {
        var developer = await app.CreateTokenAsync(Role.Developer);
        using var client = app.Client(developer);

        var me = await client.MeAsync();

        Assert.False(me.GetProperty("session").GetBoolean());
        Assert.Equal(JsonValueKind.Null, me.GetProperty("csrfToken").ValueKind);
        using var signOut = await client.DeleteAsync("/api/session");
        await Api.ExpectAsync(signOut, HttpStatusCode.NoContent);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/projects")).StatusCode);
    }

    [Fact]
    public async Task SingleSignOn_Returns404_WhenOidcIsNotConfigured()
    {
        using var browser = app.Browser();
        using var response = await browser.GetAsync("/api/session/oidc?next=/runs/1");
        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal(JsonValueKind.Null, (await browser.MeAsync()).GetProperty("sso").ValueKind);
        using var signOut = await browser.GetAsync("/api/session/oidc/sign-out");
        await Api.ProblemAsync(signOut, HttpStatusCode.NotFound);
    }
}

/// <summary>The tests above on SQLite.</summary>
public sealed class SessionEndpointsTests(SessionApp app) : SessionEndpointsTests<SessionApp>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class SessionEndpointsOnPostgresTests(SessionApp.OnPostgres app) : SessionEndpointsTests<SessionApp.OnPostgres>(app);
