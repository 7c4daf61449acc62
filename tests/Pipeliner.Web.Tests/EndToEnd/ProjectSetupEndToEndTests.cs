using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// An admin sets a project up without curl: registers it in the page, gives the forge the webhook URL and secret the
/// page shows, copied with its buttons (a signed delivery with that secret is accepted), changes its settings, manages its
/// secrets, and deletes it.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ProjectSetupEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-setup";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task An_admin_registers_a_project_sets_its_webhook_changes_its_settings_and_manages_its_secrets()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("A pipeline", (".pipeliner.yml", Pipelines.Main));

        var page = await world.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "New project" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "New project" });
        await form.GetByLabel("Name").FillAsync(Project);
        await form.GetByLabel("Repository").FillAsync(repository.Path);
        await form.GetByLabel("Forge", new() { Exact = true }).SelectOptionAsync("github");
        var secret = await form.GetByLabel("Webhook secret").InputValueAsync();
        Assert.Matches("^[0-9a-f]{64}$", secret);
        await DashboardWorld.ScreenshotAsync(page, "project-new");
        await form.GetByRole(AriaRole.Button, new() { Name = "Register project" }).ClickAsync();

        // The webhook URL and, this once, the secret; with the steps on GitHub.
        var setup = page.GetByRole(AriaRole.Region, new() { Name = "Webhook setup" });
        await setup.GetByText("will not show it again").WaitForAsync();
        var webhookUrl = await setup.GetByLabel("Webhook URL", new() { Exact = true }).InputValueAsync();
        Assert.Equal($"{world.Server.BaseUrl.TrimEnd('/')}/hooks/{Project}", webhookUrl);
        Assert.Equal(secret, await setup.GetByLabel("Webhook secret", new() { Exact = true }).InputValueAsync());
        await setup.GetByText("Content type: application/json").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "project-created");

        // Both copy to the clipboard with their buttons.
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await page.BringToFrontAsync();
        await setup.GetByRole(AriaRole.Button, new() { Name = "Copy webhook url" }).ClickAsync();
        await Assertions.Expect(setup.GetByText("Copied.", new() { Exact = true })).ToHaveCountAsync(1);
        Assert.Equal(webhookUrl, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await setup.GetByRole(AriaRole.Button, new() { Name = "Copy webhook secret" }).ClickAsync();
        await Assertions.Expect(setup.GetByText("Copied.", new() { Exact = true })).ToHaveCountAsync(2);
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        // The forge, given that secret, is heard; with another one it is refused.
        using (var ping = await world.DeliverAsync(Project, "ping", """{"zen":"Keep it simple.","hook_id":1,"repository":{"full_name":"example/shop"}}""", secret))
            Assert.True(ping.IsSuccessStatusCode, $"the ping signed with the shown secret: {ping.StatusCode} {await ping.Content.ReadAsStringAsync()}");
        using (var wrong = await world.DeliverAsync(Project, "ping", """{"zen":"x","hook_id":1}""", "not-the-secret"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        // Settings: a new default branch and a forge for commit statuses; the token is write-only.
        await page.GetByRole(AriaRole.Link, new() { Name = $"Go to {Project}" }).ClickAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = $"Pages of {Project}" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        var settings = page.GetByRole(AriaRole.Form, new() { Name = $"Settings of {Project}" });
        await settings.GetByLabel("Default branch").FillAsync("develop");
        await settings.GetByLabel("Forge API URL").FillAsync("https://api.github.com");
        await settings.GetByLabel("Forge token").FillAsync("ghp_not-a-real-token-for-the-e2e-test");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await page.GetByText("Settings saved.").WaitForAsync();
        var project = await ProjectAsync();
        Assert.Equal("develop", project.GetProperty("defaultBranch").GetString());
        Assert.Equal("https://api.github.com", project.GetProperty("forgeApiUrl").GetString());
        Assert.True(project.GetProperty("hasForgeToken").GetBoolean());
        Assert.DoesNotContain("ghp_not-a-real-token", await page.ContentAsync(), StringComparison.Ordinal);

        // A value the server refuses is shown under its field, and nothing changes.
        settings = page.GetByRole(AriaRole.Form, new() { Name = $"Settings of {Project}" });
        await settings.GetByLabel("Pipeline file").FillAsync("/etc/passwd");
        await settings.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await settings.GetByText("a path inside the repository").WaitForAsync();
        Assert.Equal(".pipeliner.yml", (await ProjectAsync()).GetProperty("pipelineFile").GetString());

        // Secrets: names and scopes only; add, replace, delete.
        await page.GetByRole(AriaRole.Navigation, new() { Name = $"Pages of {Project}" }).GetByRole(AriaRole.Link, new() { Name = "Secrets" }).ClickAsync();
        var add = page.GetByRole(AriaRole.Form, new() { Name = "Add secret" });
        await add.GetByLabel("Name").FillAsync("DEPLOY_TOKEN");
        await add.GetByLabel("Value").FillAsync("first-deploy-token-value");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();
        var projectWide = page.GetByRole(AriaRole.Row, new() { Name = "Secret DEPLOY_TOKEN, every job" });
        await projectWide.WaitForAsync();
        await add.GetByLabel("Name").FillAsync("DEPLOY_TOKEN");
        await add.GetByLabel("Environment").FillAsync("prod");
        await add.GetByLabel("Value").FillAsync("prod-deploy-token-value");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();
        var prod = page.GetByRole(AriaRole.Row, new() { Name = "Secret DEPLOY_TOKEN, environment prod" });
        await prod.WaitForAsync();

        await add.GetByLabel("Name").FillAsync("bad name");
        await add.GetByLabel("Value").FillAsync("x");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();
        await add.Locator(".field-error").First.WaitForAsync();

        await projectWide.GetByRole(AriaRole.Button, new() { Name = "Replace" }).ClickAsync();
        var replace = page.GetByRole(AriaRole.Form, new() { Name = "Replace DEPLOY_TOKEN" });
        await replace.GetByLabel("New value").FillAsync("second-deploy-token-value");
        await replace.GetByRole(AriaRole.Button, new() { Name = "Replace value" }).ClickAsync();
        await replace.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await DashboardWorld.ScreenshotAsync(page, "project-secrets");

        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await prod.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await prod.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var secrets = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{Project}/secrets")).RootElement;
        Assert.Equal(["DEPLOY_TOKEN@"], secrets.EnumerateArray().Select(s => $"{s.GetProperty("name").GetString()}@{s.GetProperty("environment").GetString()}"));
        Assert.True(secrets[0].GetProperty("updatedAt").GetDateTimeOffset() > secrets[0].GetProperty("createdAt").GetDateTimeOffset());
        var html = await page.ContentAsync();
        Assert.DoesNotContain("deploy-token-value", html, StringComparison.Ordinal);

        // The same pages on a phone, the new project form included.
        var phone = await world.NewPageAsync(width: 390, height: 844);
        await phone.GotoAsync("/new-project");
        await phone.GetByRole(AriaRole.Form, new() { Name = "New project" }).WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the new project form is wider than the phone");
        await DashboardWorld.ScreenshotAsync(phone, "project-new-phone");
        await phone.GotoAsync($"/projects/{Project}/settings");
        await phone.GetByRole(AriaRole.Region, new() { Name = "Webhook setup" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "project-settings-phone");
        await phone.GotoAsync($"/projects/{Project}/secrets");
        await phone.GetByRole(AriaRole.Row, new() { Name = "Secret DEPLOY_TOKEN, every job" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "project-secrets-phone");
        await DashboardWorld.ExpectUrlAsync(phone, new Regex($"/projects/{Project}/secrets$"));

        // Deleting asks for the name typed again, then the project and its history are gone.
        await page.GotoAsync($"/projects/{Project}/settings");
        var delete = page.GetByRole(AriaRole.Form, new() { Name = $"Delete {Project}" });
        var button = delete.GetByRole(AriaRole.Button, new() { Name = "Delete project and history" });
        await delete.GetByLabel($"Type {Project} to confirm").FillAsync("shop-setu");
        Assert.True(await button.IsDisabledAsync());
        await delete.GetByLabel($"Type {Project} to confirm").FillAsync(Project);
        await DashboardWorld.ScreenshotAsync(page, "project-delete");
        await button.ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex(@"/$"));
        Assert.Equal(HttpStatusCode.NotFound, (await world.Server.Api().GetAsync($"/api/projects/{Project}")).StatusCode);
    }

    private async Task<JsonElement> ProjectAsync() =>
        JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{Project}")).RootElement;
}
