using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>The dashboard in Chromium against the real server running real pipelines in Docker.</summary>
[Collection(DashboardCollection.Name)]
public sealed partial class DashboardEndToEndTests(DashboardWorld world, ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Run_page_draws_the_graph_streams_the_log_while_the_job_runs_and_approve_works()
    {
        var runId = await world.TriggerAsync("main");
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}/jobs/stream");

        // The graph: a column per stage, a card per job, an arrow per need.
        await page.Locator(".stage-title").Nth(2).WaitForAsync();
        Assert.Equal(["build", "test", "release"], await page.Locator(".stage-title").AllTextContentsAsync());
        Assert.Equal(4, await page.Locator(".job-card").CountAsync());
        var arrows = await page.Locator("path.needs-arrow").EvaluateAllAsync<string[]>(
            "paths => paths.map(p => p.dataset.from + '->' + p.dataset.to + ':' + (p.getTotalLength() > 20))");
        Assert.Equal(["lint->release:true", "stream->unit:true", "unit->release:true"], arrows.Order(StringComparer.Ordinal));

        // The log grows while the job runs: samples of the line count, taken only while the server says it runs.
        var samples = new List<int>();
        var finished = false;
        // Until the job ends (8 s of output once its container runs, which on a loaded machine may start late).
        var deadline = DateTime.UtcNow + RunTimeout;
        while (!finished && DateTime.UtcNow < deadline)
        {
            var count = await page.Locator(".log-line").CountAsync();
            var stream = DashboardWorld.Job(await world.RunAsync(runId), "stream");
            finished = stream.GetProperty("status").GetString() is not ("running" or "queued" or "pending");
            if (!finished && count > 0) samples.Add(count);
            if (samples.Count == 3) await DashboardWorld.ScreenshotAsync(page, "run-live-log");
            await Task.Delay(250);
        }

        output.WriteLine($"log line counts seen while the job ran: {string.Join(", ", samples)}");
        Assert.True(finished, "the streaming job did not finish");
        Assert.True(samples.Distinct().Count() >= 3, $"the log did not grow while the job ran: {string.Join(", ", samples)}");
        Assert.Equal(samples.Order().ToList(), samples);
        await page.GetByText("tick 40 of 40", new() { Exact = true }).WaitForAsync();
        Assert.Equal("tick", await page.Locator(".log-line .ansi-fg-6").First.TextContentAsync());

        // The manual release waits for a person with the role to approve it; the run has finished without it meanwhile.
        var release = page.Locator(".job-card[data-job='release']");
        await release.GetByText("Waiting for approval").WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator(".run-header .job-status[title='Succeeded, manual jobs available']").WaitForAsync(new() { Timeout = 60_000 });
        await DashboardWorld.ScreenshotAsync(page, "run-waiting-for-approval");
        await release.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await release.GetByText("Succeeded").WaitForAsync(new() { Timeout = 60_000 });
        var run = await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "succeeded", RunTimeout, "success");
        Assert.Equal("admin", DashboardWorld.Job(run, "release").GetProperty("approvedBy").GetString());
        await page.GetByRole(AriaRole.Link, new() { Name = "release" }).ClickAsync();
        await page.GetByText("released to production", new() { Exact = true }).WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "run-detail");
    }

    [Fact]
    public async Task A_failed_jobs_log_is_one_click_from_the_runs_list()
    {
        var runId = await world.TriggerAsync("broken");
        var failed = await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "failed", RunTimeout, "failure");
        var number = failed.GetProperty("number").GetInt32();

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{DashboardWorld.Project}");
        var row = page.Locator($"tr[data-run='{runId}']");
        await row.GetByText("Failed").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "runs-list");

        await row.GetByRole(AriaRole.Link, new() { Name = "✕ checkout-test log" }).ClickAsync();

        // The address names the run as people do: the project and the run's number.
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/projects/{DashboardWorld.Project}/runs/{number}/jobs/checkout-test(\\?attempt=1)?$"));
        await page.GetByText("assertion failed: expected 2 items in the cart, got 3", new() { Exact = true }).WaitForAsync();
        Assert.Equal("Failed", await page.Locator(".job-panel h2 .job-status-text").TextContentAsync());
        Assert.Equal("2", await page.Locator(".attempt-facts dt:text('Exit code') + dd").TextContentAsync());
        await DashboardWorld.ScreenshotAsync(page, "failed-job-log");

        // The raw log downloads through a short-lived link (a download sends no Authorization header).
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download raw" }).ClickAsync());
        var raw = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains(" assertion failed: expected 2 items in the cart, got 3\n", raw, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", raw);

        // Retry runs the failed job again: a second attempt, with its own log.
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry failed jobs" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Attempt 2" }).WaitForAsync(new() { Timeout = 60_000 });
        await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "failed"
            && DashboardWorld.Job(r, "checkout-test").GetProperty("attempts").GetArrayLength() == 2, RunTimeout, "the retry");
    }

    [Fact]
    public async Task An_invalid_run_shows_the_pipeline_errors_with_their_lines()
    {
        var runId = await world.TriggerAsync("invalid");
        var run = await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() == "invalid", RunTimeout, "invalid");
        var error = run.GetProperty("errors")[0];

        // Opened by the address people share: the project and the run's number (links by id keep working, above).
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{DashboardWorld.Project}/runs/{run.GetProperty("number").GetInt32()}");
        var errors = page.GetByRole(AriaRole.Region, new() { Name = "Pipeline errors" });
        await errors.WaitForAsync();
        Assert.Equal("Invalid", await page.Locator(".run-header .job-status-text").TextContentAsync());
        var shown = await errors.Locator("li").First.TextContentAsync();
        Assert.Contains($"line {error.GetProperty("line").GetInt32()}, column {error.GetProperty("column").GetInt32()}", shown, StringComparison.Ordinal);
        Assert.Contains(error.GetProperty("message").GetString()!, shown, StringComparison.Ordinal);
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Retry failed jobs" }).CountAsync());
        await DashboardWorld.ScreenshotAsync(page, "invalid-run");
    }

    [Fact]
    public async Task Filters_narrow_the_runs_list_and_live_in_the_address()
    {
        var broken = await world.TriggerAsync("broken");
        await world.WaitForRunAsync(broken, r => r.GetProperty("status").GetString() == "failed", RunTimeout, "failure");
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{DashboardWorld.Project}");
        await page.Locator("tr[data-run]").First.WaitForAsync();

        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await DashboardWorld.ExpectUrlAsync(page, new Regex("status=failed"));
        await page.GetByLabel("Branch").FillAsync("broken");
        await page.GetByLabel("Branch").PressAsync("Enter");
        await DashboardWorld.ExpectUrlAsync(page, new Regex("branch=broken"));
        await page.Locator($"tr[data-run='{broken}']").WaitForAsync();
        // The failed run of 'broken' is in the list filtered by status too: wait for the branch filter's own answer.
        await page.WaitForFunctionAsync(
            "() => { const cells = [...document.querySelectorAll('tr[data-run] .ref-branch')]; " +
            "return cells.length > 0 && cells.every(cell => cell.textContent === 'broken'); }");
        foreach (var branch in await page.Locator("tr[data-run] .ref-branch").AllTextContentsAsync()) Assert.Equal("broken", branch);
        Assert.Equal(await page.Locator("tr[data-run]").CountAsync(), await page.Locator("tr[data-run] .job-status[data-status='failed']").CountAsync());
    }

    [Fact]
    public async Task Sign_in_keeps_the_token_in_session_storage_only()
    {
        var page = await world.NewPageAsync(signedIn: false);
        await page.GotoAsync($"/projects/{DashboardWorld.Project}");
        await DashboardWorld.ExpectUrlAsync(page, new Regex("/sign-in\\?next="));
        // The token is the option for automation users, under the password form.
        await page.GetByText("Use an API token instead").ClickAsync();
        var form = page.GetByRole(AriaRole.Form, new() { Name = "Sign in with a token" });
        await DashboardWorld.ScreenshotAsync(page, "sign-in-token");

        await form.GetByLabel("Token", new() { Exact = true }).FillAsync("plr_wrong-token");
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign in with the token" }).ClickAsync();
        await form.GetByRole(AriaRole.Alert).WaitForAsync();

        await form.GetByLabel("Token", new() { Exact = true }).FillAsync(Support.ServerProcess.AdminToken);
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign in with the token" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/projects/{DashboardWorld.Project}$"));
        await page.Locator(".who-name[title='Signed in as admin (admin), token bootstrap']").WaitForAsync();
        Assert.Equal(Support.ServerProcess.AdminToken, await page.EvaluateAsync<string>("sessionStorage.getItem('pipeliner.token')"));
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length"));
        Assert.DoesNotContain(Support.ServerProcess.AdminToken, await page.EvaluateAsync<string>("document.cookie"), StringComparison.Ordinal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex("/sign-in"));
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('pipeliner.token')"));
    }

    [Fact]
    public async Task Projects_pull_request_phone_and_dark_screens()
    {
        var first = await world.TriggerAsync("main");
        await world.WaitForRunAsync(first, r => r.GetProperty("manualJobsAvailable").GetBoolean(), RunTimeout, "finished with the release available");
        await world.OpenPullRequestAsync(12, "Show the cart total with taxes");
        var pr = await WaitForPullRequestRunAsync(12);

        var page = await world.NewPageAsync();
        await page.GotoAsync("/");
        await page.Locator($".project-card[data-project='{DashboardWorld.Project}'] .mini-runs li").First.WaitForAsync();
        Assert.Contains("PR #12", await page.Locator($".project-card[data-project='{DashboardWorld.Project}']").TextContentAsync(), StringComparison.Ordinal);
        await DashboardWorld.ScreenshotAsync(page, "projects");

        await page.GetByRole(AriaRole.Link, new() { Name = "PR #12" }).First.ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/projects/{DashboardWorld.Project}/pulls/12$"));
        await page.GetByText("Show the cart total with taxes").First.WaitForAsync();
        await page.Locator(".pr-latest .check-list li").Nth(3).WaitForAsync();
        Assert.Contains($"run #{pr.GetProperty("number").GetInt32()}", await page.Locator(".pr-latest h2").TextContentAsync(), StringComparison.Ordinal);
        Assert.Contains("feature/review → main", await page.Locator(".pr-latest").TextContentAsync(), StringComparison.Ordinal);
        await DashboardWorld.ScreenshotAsync(page, "pull-request");

        var dark = await world.NewPageAsync(scheme: ColorScheme.Dark);
        await dark.GotoAsync($"/runs/{first}/jobs/stream");
        await dark.GetByText("tick 40 of 40", new() { Exact = true }).WaitForAsync();
        var background = await dark.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(15, 18, 22)", background);
        await DashboardWorld.ScreenshotAsync(dark, "run-detail-dark");

        var phone = await world.NewPageAsync(390, 844);
        await phone.GotoAsync($"/runs/{first}/jobs/stream");
        await phone.GetByText("tick 40 of 40", new() { Exact = true }).WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the run page scrolls sideways on a phone");
        await DashboardWorld.ScreenshotAsync(phone, "phone-run");
        await phone.GotoAsync($"/projects/{DashboardWorld.Project}");
        await phone.Locator("tr[data-run]").First.WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the runs list scrolls sideways on a phone");
        await DashboardWorld.ScreenshotAsync(phone, "phone-runs");
    }

    private async Task<JsonElement> WaitForPullRequestRunAsync(int number)
    {
        for (var i = 0; i < 240; i++)
        {
            var runs = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{DashboardWorld.Project}/pulls/{number}/runs")).RootElement;
            if (runs.GetProperty("items").GetArrayLength() > 0) return runs.GetProperty("items")[0];
            await Task.Delay(250);
        }

        throw new TimeoutException($"no run of pull request {number}:\n{world.Server.Output}");
    }
}
