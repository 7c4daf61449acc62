using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// An admin archives a project in the page: its history stays readable, it leaves the project list (the archived list
/// shows it), it takes no runs and no webhooks; unarchived, it runs again; deleting it "keeping its history" archives it.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ProjectArchiveEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-archive";
    private const string Secret = "e2e-archive-secret";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task An_archived_project_keeps_its_history_refuses_runs_and_webhooks_and_comes_back_when_unarchived()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("One quick job", (".pipeliner.yml", "stages: [build]\njobs:\n  build: { stage: build, image: alpine:3, script: [\"echo built\"] }\n"));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "github", webhookSecret = Secret, defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var response = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" });
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
        await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "succeeded", TimeSpan.FromMinutes(3), "success");

        // Archived on its settings page.
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}/settings");
        await page.GetByRole(AriaRole.Region, new() { Name = $"Archive {Project}" }).GetByRole(AriaRole.Button, new() { Name = "Archive project" }).ClickAsync();
        await page.GetByRole(AriaRole.Status, new() { Name = "Archived project" }).GetByText("takes no webhooks and no new runs").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "project-archived-settings");

        // Gone from the project list; the archived list has it.
        await page.GotoAsync("/");
        await page.Locator($".project-card[data-project='{DashboardWorld.Project}']").WaitForAsync();
        Assert.Equal(0, await page.Locator($".project-card[data-project='{Project}']").CountAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Archived projects" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex(@"/\?archived=true$"));
        var card = page.Locator($".project-card[data-project='{Project}']");
        await card.GetByText("Archived", new() { Exact = true }).WaitForAsync();
        Assert.Equal(0, await page.Locator($".project-card[data-project='{DashboardWorld.Project}']").CountAsync());
        await DashboardWorld.ScreenshotAsync(page, "projects-archived");

        // Its history is there; no Run pipeline.
        await card.GetByRole(AriaRole.Link, new() { Name = Project, Exact = true }).ClickAsync();
        await page.Locator($"tr[data-run='{runId}']").WaitForAsync();
        var notice = page.GetByRole(AriaRole.Status, new() { Name = "Archived project" });
        await notice.WaitForAsync();
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Run pipeline" }).CountAsync());

        // The API and the forge are told why.
        using (var refused = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("is archived", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var hook = await world.DeliverAsync(Project, "ping", """{"zen":"x","hook_id":1,"repository":{"full_name":"example/shop"}}""", Secret))
            Assert.Equal(HttpStatusCode.Conflict, hook.StatusCode);

        var phone = await world.NewPageAsync(390, 844);
        await phone.GotoAsync($"/projects/{Project}");
        await phone.GetByRole(AriaRole.Status, new() { Name = "Archived project" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "project-archived-phone");

        // Unarchived: Run pipeline is back, and runs start again.
        await notice.GetByRole(AriaRole.Button, new() { Name = "Unarchive" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run pipeline" }).WaitForAsync();
        Assert.Equal(0, await notice.CountAsync());
        using (var again = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" }))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);

        // Deleting with "keep its history" archives it: the runs stay.
        await page.GotoAsync($"/projects/{Project}/settings");
        var delete = page.GetByRole(AriaRole.Form, new() { Name = $"Delete {Project}" });
        await delete.GetByRole(AriaRole.Radio, new() { NameRegex = new Regex("^Keep it") }).CheckAsync();
        await delete.GetByLabel($"Type {Project} to confirm").FillAsync(Project);
        await DashboardWorld.ScreenshotAsync(page, "project-delete-keep-history");
        await delete.GetByRole(AriaRole.Button, new() { Name = "Delete project, keep history" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex(@"/$"));
        var project = await world.Server.Api().GetFromJsonAsync<JsonElement>($"/api/projects/{Project}");
        Assert.Equal(JsonValueKind.String, project.GetProperty("archivedAt").ValueKind);
        Assert.Equal(HttpStatusCode.OK, (await world.Server.Api().GetAsync($"/api/runs/{runId}")).StatusCode);
    }
}
