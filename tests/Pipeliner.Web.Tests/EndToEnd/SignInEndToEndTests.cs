using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// Signing in in Chromium against the real server: with a password an admin set on the Users page (the deep link,
/// its #L9 included, survives), with single sign-on through a real OpenID Connect provider, a forged write refused,
/// the session shared by a new tab, a user changing their own password, and signing out ending it on the server.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class SignInEndToEndTests(DashboardWorld world)
{
    private const string Password = "petra's long passphrase";
    private static int _users;

    [Fact]
    public async Task SignIn_ReturnsToTheDeepLinkWithItsLineAnchor_WhenAnAdminSetThePasswordOnTheUsersPage()
    {
        var user = await CreateUserAsync("petra", "developer");
        var admin = await world.NewPageAsync();
        await admin.GotoAsync("/admin/users");
        var row = admin.GetByRole(AriaRole.Row, new() { Name = $"User {user}", Exact = true });
        await row.GetByLabel($"New password for {user}").FillAsync(Password);
        await row.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
        await row.GetByText("Password set").WaitForAsync();
        await row.GetByText("signs in with password").WaitForAsync();
        var runId = await FinishedStreamRunAsync();

        var page = await NewSignedOutPageAsync();
        await page.GotoAsync($"/runs/{runId}/jobs/stream#L9");
        await DashboardWorld.ExpectUrlAsync(page, new Regex(@"/sign-in\?next="));
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test SSO" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "sign-in-password");
        await SignInAsync(page, user, Password, remember: true);

        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/runs/{runId}/jobs/stream#L9$"));
        var line9 = page.Locator(".log-line-selected[data-line='9']");
        await line9.WaitForAsync();
        // Lines 1 and 2 are the agent's header and the command; the ninth is the seventh tick.
        Assert.Equal("tick 7 of 40", await line9.Locator(".log-text").TextContentAsync());
        await page.Locator(".who-name").GetByText(user).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "signed-in-deep-link");

        var cookies = (await page.Context.CookiesAsync()).ToDictionary(c => c.Name);
        var session = cookies["pipeliner_session"];
        Assert.True(session.HttpOnly, "the session cookie is HttpOnly");
        Assert.Equal(SameSiteAttribute.Lax, session.SameSite);
        Assert.False(cookies["pipeliner_csrf"].HttpOnly);
        Assert.InRange(DateTimeOffset.FromUnixTimeSeconds((long)session.Expires), DateTimeOffset.UtcNow.AddDays(13), DateTimeOffset.UtcNow.AddDays(15));

        // A link opened in a new tab (from a commit status, say) is signed in: the session is the browser's, not the tab's.
        var tab = await page.Context.NewPageAsync();
        await tab.GotoAsync($"/projects/{DashboardWorld.Project}");
        await tab.Locator($"tr[data-run='{runId}']").WaitForAsync();
        await tab.Locator(".who-name").GetByText(user).WaitForAsync();
        Assert.DoesNotContain("/sign-in", tab.Url, StringComparison.Ordinal);

        var phone = await NewSignedOutPageAsync(width: 390, height: 844);
        await phone.GotoAsync($"/runs/{runId}/jobs/stream#L9");
        await phone.GetByRole(AriaRole.Form, new() { Name = "Sign in with a password" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "sign-in-password-phone");
        await SignInAsync(phone, user, Password, remember: false);
        await phone.Locator(".log-line-selected[data-line='9']").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "signed-in-deep-link-phone");
    }

    [Fact]
    public async Task Write_IsRefused_WhenTheSessionCookieComesWithoutTheAntiForgeryProof()
    {
        var user = await CreateUserWithPasswordAsync("wanda", "developer");
        var runId = await FinishedStreamRunAsync();
        var page = await NewSignedOutPageAsync();
        await page.GotoAsync("/sign-in");
        await SignInAsync(page, user, Password, remember: false);
        await page.Locator(".who-name").GetByText(user).WaitForAsync();

        // What a page on another site could make the browser send: the cookie goes along, the header cannot.
        var path = $"/api/runs/{runId}/jobs/stream/log/download";
        var forged = await page.EvaluateAsync<JsonElement>(
            "async path => { const r = await fetch(path, { method: 'POST' }); return { status: r.status, body: await r.json() }; }", path);
        var proven = await page.EvaluateAsync<JsonElement>(
            """
            async path => {
              const proof = document.cookie.match(/pipeliner_csrf=([^;]+)/)[1];
              const issued = await fetch(path, { method: 'POST', headers: { 'X-Pipeliner-Csrf': proof } });
              const download = await fetch((await issued.json()).url);
              return { status: issued.status, download: download.status, log: await download.text() };
            }
            """, path);

        Assert.Equal(403, forged.GetProperty("status").GetInt32());
        Assert.Contains("anti-forgery proof", forged.GetProperty("body").GetProperty("detail").GetString(), StringComparison.Ordinal);
        // With the proof the same write works, and the download link it gives (issued to the session) serves the log.
        Assert.Equal((200, 200), (proven.GetProperty("status").GetInt32(), proven.GetProperty("download").GetInt32()));
        Assert.Contains("\u001b[36mtick\u001b[0m 40 of 40", proven.GetProperty("log").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_SoItsCookieNoLongerWorksAnywhere()
    {
        var user = await CreateUserWithPasswordAsync("otto", "viewer");
        var page = await NewSignedOutPageAsync();
        await page.GotoAsync($"/projects/{DashboardWorld.Project}");
        await SignInAsync(page, user, Password, remember: true);
        await page.Locator(".who-name").GetByText(user).WaitForAsync();
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "pipeliner_session").Value;
        var otherTab = await page.Context.NewPageAsync();
        await otherTab.GotoAsync("/account");
        await otherTab.GetByText($"Signed in as {user}", new() { Exact = false }).WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await DashboardWorld.ExpectUrlAsync(page, new Regex("/sign-in"));
        // The other tab hears of it and goes to the sign-in page too.
        await DashboardWorld.ExpectUrlAsync(otherTab, new Regex("/sign-in"));
        using var replay = new HttpClient { BaseAddress = new Uri(world.Server.BaseUrl) };
        replay.DefaultRequestHeaders.Add("Cookie", $"pipeliner_session={cookie}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync($"/api/projects/{DashboardWorld.Project}")).StatusCode);
        var me = JsonDocument.Parse(await replay.GetStringAsync("/api/me")).RootElement;
        Assert.Equal(JsonValueKind.Null, me.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task ChangeOwnPassword_OnTheAccountPage_KeepsThisSession_AndOnlyTheNewPasswordSignsIn()
    {
        const string newPassword = "carla's even longer passphrase";
        var user = await CreateUserWithPasswordAsync("carla", "developer");
        var page = await NewSignedOutPageAsync(width: 390, height: 844);
        await page.GotoAsync("/sign-in?next=%2Faccount");
        await SignInAsync(page, user, Password, remember: false);
        await DashboardWorld.ExpectUrlAsync(page, new Regex("/account$"));
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Change password" });

        // A wrong current password is refused under its field, and nothing changes.
        await form.GetByLabel("Current password").FillAsync("not my password at all");
        await form.GetByLabel("New password", new() { Exact = true }).FillAsync(newPassword);
        await form.GetByLabel("New password again").FillAsync(newPassword);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await form.Locator(".field-error").First.WaitForAsync();

        await form.GetByLabel("Current password").FillAsync(Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await form.GetByText("Your password is changed.").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "account-password-changed-phone");

        // This session goes on; the old password no longer signs in, the new one does.
        await page.ReloadAsync();
        await page.Locator(".who-name").GetByText(user).WaitForAsync();
        using var browser = new HttpClient { BaseAddress = new Uri(world.Server.BaseUrl) };
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsJsonAsync("/api/session", new { user, password = Password })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsJsonAsync("/api/session", new { user, password = newPassword })).StatusCode);
    }

    [Fact]
    public async Task SingleSignOn_CreatesTheUserWithTheDefaultRole_AndReturnsToTheDeepLink()
    {
        var login = $"olivia-{Interlocked.Increment(ref _users)}-{Guid.NewGuid():N}"[..24];
        var runId = await FinishedStreamRunAsync();
        var page = await NewSignedOutPageAsync();
        await page.GotoAsync($"/runs/{runId}/jobs/stream#L9");
        await page.GetByLabel("Keep me signed in").CheckAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test SSO" }).ClickAsync();
        await SignInAtTheProviderAsync(page, login);

        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/runs/{runId}/jobs/stream#L9$"));
        await page.Locator(".log-line-selected[data-line='9']").WaitForAsync();
        await page.Locator(".who-name").GetByText(login).WaitForAsync();
        Assert.Equal("viewer", await page.Locator(".who-name .role").TextContentAsync());
        await DashboardWorld.ScreenshotAsync(page, "signed-in-with-sso");
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "pipeliner_session");
        Assert.True(session.Expires > DateTimeOffset.UtcNow.AddDays(13).ToUnixTimeSeconds(), "'keep me signed in' went through the provider");
        var users = await world.Server.Api().GetFromJsonAsync<JsonElement>("/api/users");
        var created = users.EnumerateArray().Single(u => u.GetProperty("name").GetString() == login);
        Assert.Equal(("viewer", true, false), (created.GetProperty("role").GetString(), created.GetProperty("sso").GetBoolean(),
            created.GetProperty("hasPassword").GetBoolean()));

        // The provider's role claim: olivia-admin is an admin in Pipeliner from her first sign-in.
        var phone = await NewSignedOutPageAsync(width: 390, height: 844);
        await phone.GotoAsync("/admin/users");
        await phone.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test SSO" }).ClickAsync();
        await SignInAtTheProviderAsync(phone, "olivia-admin");
        await DashboardWorld.ExpectUrlAsync(phone, new Regex("/admin/users$"));
        await phone.GetByRole(AriaRole.Row, new() { Name = $"User {login}", Exact = true }).WaitForAsync();
        Assert.Equal("admin", await phone.Locator(".who-name .role").TextContentAsync());
        await DashboardWorld.ScreenshotAsync(phone, "signed-in-with-sso-phone");
    }

    [Fact]
    public async Task SingleSignOn_SignOut_EndsOurSessionAndTheProvidersToo()
    {
        var login = $"sven-{Interlocked.Increment(ref _users)}-{Guid.NewGuid():N}"[..22];
        var page = await NewSignedOutPageAsync();
        await page.GotoAsync($"/projects/{DashboardWorld.Project}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test SSO" }).ClickAsync();
        await SignInAtTheProviderAsync(page, login);
        await page.Locator(".who-name").GetByText(login).WaitForAsync();
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "pipeliner_session").Value;

        // Signing out goes through the provider's end-session page (it asks), then back to the sign-in page.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"^{Regex.Escape(world.Oidc.Issuer)}/"));
        await DashboardWorld.ScreenshotAsync(page, "sign-out-at-the-provider");
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"^{Regex.Escape(world.Server.BaseUrl.TrimEnd('/'))}/sign-in"));

        // Ours ended on the server...
        using var replay = new HttpClient { BaseAddress = new Uri(world.Server.BaseUrl) };
        replay.DefaultRequestHeaders.Add("Cookie", $"pipeliner_session={cookie}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync($"/api/projects/{DashboardWorld.Project}")).StatusCode);
        // ...and so did the provider's: signing in again asks for the login, where a live provider session would not.
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Test SSO" }).ClickAsync();
        await page.Locator("input[name='login']").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "sso-sign-in-again-asks-the-login");
    }

    /// <summary>The provider's development pages: any login with any password, then consent.</summary>
    private static async Task SignInAtTheProviderAsync(IPage page, string login)
    {
        await page.Locator("input[name='login']").FillAsync(login);
        await page.Locator("input[name='password']").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
    }

    private static async Task SignInAsync(IPage page, string user, string password, bool remember)
    {
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Sign in with a password" });
        await form.GetByLabel("User", new() { Exact = true }).FillAsync(user);
        await form.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        if (remember) await form.GetByLabel("Keep me signed in").CheckAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>A page in a fresh browser context without a token, which can reach nothing but this machine.</summary>
    private async Task<IPage> NewSignedOutPageAsync(int width = 1280, int height = 900)
    {
        var page = await world.NewPageAsync(width, height, signedIn: false);
        await page.Context.RouteAsync(url => !new Uri(url).IsLoopback, route => route.AbortAsync());
        return page;
    }

    private async Task<string> CreateUserAsync(string hint, string role)
    {
        var name = $"{hint}-{Interlocked.Increment(ref _users)}";
        var response = await world.Server.Api().PostAsJsonAsync("/api/users", new { name, role });
        Assert.True(response.IsSuccessStatusCode, $"creating {name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    private async Task<string> CreateUserWithPasswordAsync(string hint, string role)
    {
        var name = await CreateUserAsync(hint, role);
        var response = await world.Server.Api().PatchAsJsonAsync($"/api/users/{name}", new { password = Password });
        Assert.True(response.IsSuccessStatusCode, $"setting the password of {name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return name;
    }

    /// <summary>A run of main whose streaming job (40 log lines) has finished.</summary>
    private async Task<long> FinishedStreamRunAsync()
    {
        var runId = await world.TriggerAsync("main");
        await world.WaitForRunAsync(runId, r => DashboardWorld.Job(r, "stream").GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromMinutes(3), "the stream job to succeed");
        return runId;
    }
}
