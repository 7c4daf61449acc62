using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// Two runs whose two jobs print a rare text: typed into the header's search box, it is found in both runs, grouped
/// by run and job, and a match opens the log viewer on its line. The job panel shows the job's resource trends over
/// those runs (duration, peak memory, CPU time from the engine's stats).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class LogSearchEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-search";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Each job prints the rare text on its own line among others, then keeps a core busy for a moment (so the engine samples it).</summary>
    private static string Pipeline(string rare) => $$"""
        stages: [test]
        jobs:
          checkout-test:
            stage: test
            image: alpine:3
            script:
              - echo "starting the checkout suite"
              - echo "ERROR {{rare}} in CartService.total"
              - end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done
          payment-test:
            stage: test
            image: alpine:3
            script:
              - echo "payment suite"
              - echo "warning {{rare}} retried"
        """;

    [Fact]
    public async Task Header_search_finds_a_text_in_every_run_grouped_by_run_and_job_and_a_match_opens_its_log_line()
    {
        var rare = $"kumquat-{Guid.NewGuid():N}"[..20];
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("Tests that print a rare text", (".pipeliner.yml", Pipeline(rare)));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "github", webhookSecret = "e2e-search-secret", defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var runs = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var response = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
            await world.WaitForRunAsync(id, r => r.GetProperty("status").GetString() == "succeeded", TimeSpan.FromMinutes(3), "success");
            runs.Add(id);
        }

        // Logs are indexed when their attempt ends: wait until the server finds all eight lines (each job's command and its output, twice).
        await WaitForMatchesAsync(rare, 8);

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}");
        var box = page.GetByRole(AriaRole.Search).GetByLabel("Search all logs");
        await box.FillAsync(rare);
        await box.PressAsync("Enter");
        await DashboardWorld.ExpectUrlAsync(page, new Regex($@"/search\?q={rare}$"));

        // Grouped by run (newest first), then by job; every match marked.
        var second = page.GetByRole(AriaRole.Region, new() { Name = $"Run {Project} #2" });
        var first = page.GetByRole(AriaRole.Region, new() { Name = $"Run {Project} #1" });
        await second.WaitForAsync();
        await first.WaitForAsync();
        Assert.Equal([$"Run {Project} #2", $"Run {Project} #1"],
            await page.Locator("section.log-search-run").EvaluateAllAsync<string[]>("sections => sections.map(s => s.getAttribute('aria-label'))"));
        foreach (var run in new[] { first, second })
        {
            Assert.Equal(["checkout-test attempt 1", "payment-test attempt 1"], (await run.Locator("h3").AllTextContentsAsync()).Order(StringComparer.Ordinal));
            // The command as the log shows it, then its output.
            Assert.Equal(4, await run.Locator("mark").CountAsync());
        }

        Assert.Equal(rare, await first.Locator("mark").First.TextContentAsync());
        await DashboardWorld.ScreenshotAsync(page, "log-search");

        // A match opens the log viewer on that line.
        var match = first.Locator("li", new() { Has = page.Locator(".log-search-text", new() { HasTextRegex = new Regex($"^ERROR {rare} in CartService.total$") }) });
        var link = match.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Line \\d+ of checkout-test$") });
        var line = int.Parse((await link.TextContentAsync())!.TrimStart('L'), System.Globalization.CultureInfo.InvariantCulture);
        await link.ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new Regex($"/projects/{Project}/runs/1/jobs/checkout-test\\?attempt=1#L{line}$"));
        var selected = page.Locator($".log-line-selected[data-line='{line}']");
        await selected.WaitForAsync();
        Assert.Equal($"ERROR {rare} in CartService.total", await selected.Locator(".log-text").TextContentAsync());

        // The job panel's resource trends: both runs' attempts, measured by the engine.
        var trends = page.GetByRole(AriaRole.Region, new() { Name = "Resource trends" });
        await trends.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Duration over the last 2 attempts: latest ") }).WaitForAsync();
        await trends.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^Peak memory over the last 2 attempts: latest \\d") }).WaitForAsync();
        await trends.GetByRole(AriaRole.Img, new() { NameRegex = new Regex("^CPU time over the last 2 attempts: latest ") }).WaitForAsync();
        Assert.Equal(2, await trends.Locator("figure[data-measure='Duration'] circle").CountAsync());
        // Run #1 is the one shown: its point is the filled one, the first.
        Assert.Equal(["trend-dot current", "trend-dot"],
            await trends.Locator("figure[data-measure='Duration'] circle").EvaluateAllAsync<string[]>("dots => dots.map(d => d.getAttribute('class'))"));
        await DashboardWorld.ScreenshotAsync(page, "job-resource-trends");

        // On a phone: the same results, nothing wider than the screen, and the match opens the line.
        var phone = await world.NewPageAsync(390, 844);
        await phone.GotoAsync("/");
        await phone.GetByRole(AriaRole.Search).GetByLabel("Search all logs").FillAsync(rare);
        await phone.GetByRole(AriaRole.Search).GetByLabel("Search all logs").PressAsync("Enter");
        var phoneSecond = phone.GetByRole(AriaRole.Region, new() { Name = $"Run {Project} #2" });
        await phoneSecond.WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"),
            "the search results are wider than the phone's screen");
        await DashboardWorld.ScreenshotAsync(phone, "log-search-phone");
        await phoneSecond.Locator("li", new() { Has = phone.Locator(".log-search-text", new() { HasTextRegex = new Regex($"^warning {rare} retried$") }) })
            .GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Line \\d+ of payment-test$") }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(phone, new Regex($"/projects/{Project}/runs/2/jobs/payment-test\\?attempt=1#L\\d+$"));
        await phone.Locator(".log-line-selected").GetByText($"warning {rare} retried").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(phone, "log-search-line-phone");
    }

    private async Task WaitForMatchesAsync(string text, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        JsonElement answer;
        do
        {
            answer = await world.Server.Api().GetFromJsonAsync<JsonElement>($"/api/search/logs?q={text}&project={Project}");
            if (answer.GetProperty("matches").GetArrayLength() >= count) return;
            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"the search for {text} found {answer}, not {count} lines\n{world.Server.Output}");
    }
}
