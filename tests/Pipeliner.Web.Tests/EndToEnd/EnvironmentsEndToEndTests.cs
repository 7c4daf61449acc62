using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// A release manager's day in Chromium: the rules of an environment set in the page, then a build promoted from DIT to QA
/// after a dialog naming what goes where; prod is not offered, and the page says which rule refuses it; the run's
/// artifacts are listed with their size and digest on the run's page and the job's, and download.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class EnvironmentsEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-releases";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Rules_are_set_in_the_page_and_the_Promote_button_deploys_the_same_build_to_QA()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("Deploy to DIT, promote to QA", (".pipeliner.yml", Pipelines.Release));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "gitea", webhookSecret = "e2e-releases-secret", defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, $"registering the project: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");

        // Prod takes release tags only (set with the API; QA's rules are set in the page below).
        var prodRules = await world.Server.Api().PutAsJsonAsync($"/api/projects/{Project}/environments/prod", new { tags = new[] { "v*" } });
        Assert.True(prodRules.IsSuccessStatusCode, await prodRules.Content.ReadAsStringAsync());

        // Before anything was deployed, an admin sets QA's rules on the Environments page: only after DIT.
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}/environments");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set the rules of another environment" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Rules of a new environment" });
        await form.GetByLabel("Environment").FillAsync("qa");
        await form.GetByLabel("Required role").SelectOptionAsync("release-manager");
        await form.GetByLabel("Requires").FillAsync("dit");
        await form.GetByLabel("Approvals").FillAsync("0");
        await form.GetByLabel("Branches").FillAsync("main, release/*");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save rules" }).ClickAsync();
        var qa = page.GetByRole(AriaRole.Region, new() { Name = "Environment qa" });
        await qa.GetByText("release-manager or above · after dit · branches main, release/*").WaitForAsync();

        // A wrong value is refused with the server's words under its field, and nothing changes.
        await qa.GetByRole(AriaRole.Button, new() { Name = "Edit rules" }).ClickAsync();
        await qa.GetByLabel("Requires").FillAsync("qa");
        await qa.GetByRole(AriaRole.Button, new() { Name = "Save rules" }).ClickAsync();
        await qa.GetByText("qa cannot require itself").WaitForAsync();
        await qa.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        var rules = await EnvironmentAsync("qa");
        Assert.Equal(["dit"], rules.GetProperty("rules").GetProperty("requires").EnumerateArray().Select(r => r.GetString()));
        await DashboardWorld.ScreenshotAsync(page, "environments-rules");

        // A run deploys to DIT by itself; QA waits for someone to promote it.
        var response = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
        await world.WaitForRunAsync(runId, r => DashboardWorld.Job(r, "deploy-dit").GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromMinutes(3), "the deployment to DIT");

        var number = (await world.RunAsync(runId)).GetProperty("number").GetInt32();
        await page.GotoAsync($"/projects/{Project}/runs/{number}");
        var promotion = page.GetByLabel("Promotion");
        await promotion.GetByText($"prod is not offered: rule 'tags: v*': run {number} is for branch 'main', which prod does not accept").WaitForAsync();
        Assert.Equal(0, await promotion.GetByRole(AriaRole.Button, new() { Name = "Promote to prod" }).CountAsync());

        // The run's archive, with its size and digest, downloads as those bytes.
        var artifact = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/runs/{runId}/artifacts")).RootElement[0];
        var artifactName = artifact.GetProperty("name").GetString()!;
        var sha256 = artifact.GetProperty("sha256").GetString()!;
        var row = page.GetByRole(AriaRole.Region, new() { Name = "Artifacts" }).GetByRole(AriaRole.Row, new() { Name = $"Artifact {artifactName}" });
        await row.GetByText(sha256).WaitForAsync();
        var size = artifact.GetProperty("size").GetInt64();
        Assert.Equal($"{size} bytes", await row.Locator($"td[title='{size} bytes']").GetAttributeAsync("title"));
        await DashboardWorld.ScreenshotAsync(page, "artifacts");
        var download = await page.RunAndWaitForDownloadAsync(() => row.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        Assert.Equal(artifactName, download.SuggestedFilename);
        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(await download.PathAsync()))));

        // The job's page lists the archives that job saved, with size and digest, and they download as well.
        Assert.Equal("package", artifact.GetProperty("job").GetString());
        await page.GotoAsync($"/projects/{Project}/runs/{number}/jobs/package");
        var jobRow = page.GetByRole(AriaRole.Region, new() { Name = "Artifacts of package" }).GetByRole(AriaRole.Row, new() { Name = $"Artifact {artifactName}" });
        await jobRow.GetByText(sha256).WaitForAsync();
        Assert.Equal($"{size} bytes", await jobRow.Locator($"td[title='{size} bytes']").GetAttributeAsync("title"));
        // Its resource trends measure it against its limits: here the default timeout of an hour.
        await page.GetByRole(AriaRole.Region, new() { Name = "Resource trends" })
            .GetByRole(AriaRole.Img, new() { NameRegex = new Regex(@"^Duration over the last 1 attempts: latest \S+, highest \S+, limit 1h 00m \(0 % at the highest\)$") })
            .WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "artifacts-job");
        var jobDownload = await page.RunAndWaitForDownloadAsync(() => jobRow.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(await jobDownload.PathAsync()))));
        await page.GotoAsync($"/projects/{Project}/runs/{number}");

        // On a phone: the artifact downloads, and the promotion dialog names the same things (canceled here).
        var phone = await world.NewPageAsync(390, 844);
        await phone.GotoAsync($"/projects/{Project}/runs/{number}");
        var phoneRow = phone.GetByRole(AriaRole.Region, new() { Name = "Artifacts" }).GetByRole(AriaRole.Row, new() { Name = $"Artifact {artifactName}" });
        await phoneRow.ScrollIntoViewIfNeededAsync();
        await DashboardWorld.ScreenshotAsync(phone, "artifacts-phone");
        var phoneDownload = await phone.RunAndWaitForDownloadAsync(() => phoneRow.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        Assert.Equal(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(await phoneDownload.PathAsync()))));
        await phone.GetByLabel("Promotion").GetByRole(AriaRole.Button, new() { Name = "Promote to qa" }).ClickAsync();
        var phoneDialog = phone.GetByRole(AriaRole.Dialog, new() { Name = $"Promote run #{number} to qa?" });
        await phoneDialog.GetByText(artifactName).WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "the dialog is wider than the phone");
        await DashboardWorld.ScreenshotAsync(phone, "promotion-dialog-phone");
        await phoneDialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await phoneDialog.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // Promoting asks first, naming the run, its commit, the job it starts and the archive it deploys.
        await promotion.GetByRole(AriaRole.Button, new() { Name = "Promote to qa" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Promote run #{number} to qa?" });
        await dialog.GetByText(artifactName).WaitForAsync();
        var commit = (await world.RunAsync(runId)).GetProperty("commit").GetString()!;
        await dialog.GetByText(commit[..12]).WaitForAsync();
        await dialog.GetByText("deploy-qa").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "promotion-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Promote to qa" }).ClickAsync();
        var run = await world.WaitForRunAsync(runId, r => DashboardWorld.Job(r, "deploy-qa").GetProperty("status").GetString() == "succeeded",
            TimeSpan.FromMinutes(3), "the promotion to QA");
        await page.Locator(".job-card[data-job='deploy-qa']").GetByText("Succeeded").WaitForAsync(new() { Timeout = 60_000 });
        await DashboardWorld.ScreenshotAsync(page, "run-promoted-to-qa");

        // QA runs the build DIT got: the same artifact, by digest.
        var dit = (await EnvironmentAsync("dit")).GetProperty("current");
        var promoted = (await EnvironmentAsync("qa")).GetProperty("current");
        Assert.Equal(runId, promoted.GetProperty("runId").GetInt64());
        Assert.Equal(Digests(dit), Digests(promoted));
        Assert.NotEmpty(Digests(promoted));

        await page.GotoAsync($"/projects/{Project}/environments");
        var version = promoted.GetProperty("version").GetString()!;
        await page.GetByRole(AriaRole.Region, new() { Name = "Environment qa" }).Locator(".current .version").GetByText(version).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "environments");
        Assert.Equal("succeeded", DashboardWorld.Job(run, "deploy-qa").GetProperty("status").GetString());
    }

    private async Task<JsonElement> EnvironmentAsync(string name)
    {
        var environments = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{Project}/environments")).RootElement;
        return environments.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
    }

    private static List<string> Digests(JsonElement deployment) =>
        deployment.GetProperty("artifacts").EnumerateArray().Select(a => a.GetProperty("sha256").GetString()!).ToList();
}
