using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>A developer runs a pipeline from the browser with a variable, after reading what the plan decides.</summary>
[Collection(DashboardCollection.Name)]
public sealed class RunPipelineEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-runner";

    private const string Pipeline = """
        stages: [build, test]
        jobs:
          build:
            stage: build
            image: alpine:3
            script:
              - echo "building size $SIZE"
          stress:
            stage: test
            image: alpine:3
            if: { events: [schedule] }
            script:
              - echo "stress"
        """;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Run_pipeline_shows_the_plans_decisions_then_starts_the_run_with_the_variable()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("Build with a size", (".pipeliner.yml", Pipeline));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "gitea", webhookSecret = "e2e-runner-secret", defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run pipeline" }).ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Run pipeline" });
        Assert.Equal("main", await form.GetByLabel("Branch", new() { Exact = true }).InputValueAsync());
        await form.GetByLabel("Variables").FillAsync("SIZE=large");
        await form.GetByRole(AriaRole.Button, new() { Name = "Preview run" }).ClickAsync();

        var preview = page.GetByRole(AriaRole.Region, new() { Name = "Plan preview" });
        await preview.Locator("[data-job='stress']").GetByText("stress will be skipped: if.events: 'manual' is not one of schedule").WaitForAsync();
        await preview.Locator("[data-job='build']").GetByText("build will run").WaitForAsync();
        Assert.Equal(0, (await world.Server.Api().GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/projects/{Project}/runs")).GetProperty("total").GetInt32());
        await DashboardWorld.ScreenshotAsync(page, "run-pipeline-preview");

        // A changed request is planned again before it may start.
        await form.GetByLabel("Branch", new() { Exact = true }).FillAsync("no-such-branch");
        await form.GetByRole(AriaRole.Button, new() { Name = "Preview run" }).ClickAsync();
        await form.GetByText("no-such-branch").First.WaitForAsync();
        Assert.Equal(0, await form.GetByRole(AriaRole.Button, new() { Name = "Start run" }).CountAsync());
        await form.GetByLabel("Branch", new() { Exact = true }).FillAsync("main");
        await preview.WaitForAsync();
        await form.GetByRole(AriaRole.Button, new() { Name = "Start run" }).ClickAsync();

        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/projects/{Project}/runs/1$"));
        await page.Locator(".job-card[data-job='build']").GetByText("Succeeded").WaitForAsync(new() { Timeout = 120_000 });
        await page.Locator(".job-card[data-job='build']").GetByRole(AriaRole.Link, new() { Name = "build" }).ClickAsync();
        await page.GetByText("building size large", new() { Exact = true }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "run-pipeline-started");

        var phone = await world.NewPageAsync(width: 390, height: 844);
        await phone.GotoAsync($"/projects/{Project}");
        await phone.GetByRole(AriaRole.Button, new() { Name = "Run pipeline" }).ClickAsync();
        await phone.GetByRole(AriaRole.Form, new() { Name = "Run pipeline" }).GetByRole(AriaRole.Button, new() { Name = "Preview run" }).ClickAsync();
        await phone.GetByRole(AriaRole.Region, new() { Name = "Plan preview" }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "run-pipeline-phone");
    }
}
