using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>An admin's work in Chromium: a user added, given a token in the page, that token used, then the user disabled.</summary>
[Collection(DashboardCollection.Name)]
public sealed class AdminUsersEndToEndTests(DashboardWorld world)
{
    [Fact]
    public async Task An_admin_adds_dora_gives_her_a_token_in_the_page_and_disabling_her_stops_it()
    {
        var page = await world.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Users and tokens" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new System.Text.RegularExpressions.Regex("/admin/users$"));

        // Other tests share this server: only dora's own row and token are looked at.
        var addUser = page.GetByRole(AriaRole.Form, new() { Name = "Add user" });
        await addUser.GetByLabel("Name").FillAsync("dora");
        await addUser.GetByLabel("Role").SelectOptionAsync("developer");
        await addUser.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        var dora = page.GetByRole(AriaRole.Table, new() { Name = "Users" }).GetByRole(AriaRole.Row, new() { Name = "User dora", Exact = true });
        await dora.GetByText("Active").WaitForAsync();
        Assert.Equal("developer", await dora.GetByLabel("Role of dora").InputValueAsync());

        var newToken = page.GetByRole(AriaRole.Form, new() { Name = "New token" });
        await newToken.GetByLabel("User").SelectOptionAsync("dora");
        await newToken.GetByLabel("Token name").FillAsync("dora-laptop");
        await newToken.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var created = page.GetByRole(AriaRole.Region, new() { Name = "Created token" });
        await created.GetByText("will not be shown again").WaitForAsync();
        var token = await created.GetByLabel("Token", new() { Exact = true }).InputValueAsync();
        Assert.StartsWith("plr_", token);
        await page.GetByRole(AriaRole.Row, new() { Name = "Token dora-laptop of dora", Exact = true }).GetByText("Working").WaitForAsync();
        await dora.GetByText("1 working of 1").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "admin-users");

        // The token acts as dora, with her role: she is who /api/me names, and admin endpoints refuse her.
        var asDora = world.Server.Api(token);
        var me = JsonDocument.Parse(await asDora.GetStringAsync("/api/me")).RootElement;
        Assert.Equal("dora", me.GetProperty("name").GetString());
        Assert.Equal("dora-laptop", me.GetProperty("token").GetString());
        Assert.Equal("developer", me.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await asDora.PostAsJsonAsync("/api/users", new { name = "mallory", role = "admin" })).StatusCode);

        // Dismissed, the token is gone from the page.
        await created.GetByRole(AriaRole.Button, new() { Name = "I have copied it, hide the token" }).ClickAsync();
        await Assertions.Expect(created).ToHaveCountAsync(0);
        Assert.DoesNotContain(token, await page.ContentAsync());

        await dora.GetByRole(AriaRole.Button, new() { Name = "Disable dora" }).ClickAsync();
        await dora.GetByText("Disabled since").WaitForAsync();
        await page.GetByRole(AriaRole.Row, new() { Name = "Token dora-laptop of dora", Exact = true }).GetByText("Refused: user disabled").WaitForAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await asDora.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asDora.GetAsync($"/api/projects/{DashboardWorld.Project}")).StatusCode);

        var phone = await world.NewPageAsync(width: 390, height: 844);
        await phone.GotoAsync("/admin/users");
        await phone.GetByRole(AriaRole.Row, new() { Name = "User dora", Exact = true }).GetByText("Disabled since").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "admin-users-phone");
    }
}
