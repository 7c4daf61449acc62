using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// A reviewer reads a test report: the run page's summary (counts and duration) and failing tests (expanded to a stack trace), then the pull
/// request page telling new failures and findings from those already on the target branch; at desktop and phone widths.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class TestReportsEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-reports";
    private const string Secret = "e2e-reports-secret";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static string Pipeline(string cases, string results) => $$$"""
        stages: [test]
        jobs:
          unit:
            stage: test
            image: alpine:3
            script:
              - mkdir -p build/test-results
              - printf '%s' '<testsuite time="4.2"><testcase name="adds" classname="shop.CalcTest"/><testcase name="totals" classname="shop.CartTest"/>{{{cases}}}</testsuite>' > build/test-results/TEST-shop.xml
              - printf '%s' '{"runs":[{"tool":{"driver":{"name":"semgrep"}},"results":[{{{results}}}]}]}' > semgrep.sarif
              - exit 1
            reports:
              junit: [build/test-results/*.xml]
              sarif: [semgrep.sarif]

        """;

    private const string Divides = """<testcase name="divides" classname="shop.CalcTest"><failure message="expected 2 but was 3">at shop.CalcTest.divides(CalcTest.java:21)</failure></testcase>""";
    private const string Rounds = """<testcase name="rounds" classname="shop.CalcTest"><error message="NullPointerException">java.lang.NullPointerException&#10;  at shop.Calc.round(Calc.java:40)&#10;  at shop.CalcTest.rounds(CalcTest.java:30)</error></testcase>""";
    private const string Skipped = """<testcase name="later" classname="shop.CartTest"><skipped/></testcase>""";
    private const string Eval = """{"ruleId":"no-eval","level":"error","message":{"text":"eval of user input"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/cart.js"},"region":{"startLine":12}}}]}""";
    private const string Var = """{"ruleId":"no-var","level":"warning","message":{"text":"use let or const"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/calc.js"},"region":{"startLine":3}}}]}""";

    [Fact]
    public async Task Read_a_test_report_on_the_run_and_pull_request_pages()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("Tests with one known failure", (".pipeliner.yml", Pipeline(Divides, Eval)));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "github", webhookSecret = Secret, defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var main = await TriggerAsync("main");
        await WaitForFinishAsync(main);

        // A pull request that breaks one more test and adds a finding.
        await repository.GitAsync("checkout -q -b feature/rounding");
        var sha = await repository.CommitAsync("Round totals", (".pipeliner.yml", Pipeline(Divides + Rounds + Skipped, Eval + "," + Var)));
        await repository.GitAsync("update-ref refs/pull/7/head " + sha);
        await repository.GitAsync("checkout -q main");
        var payload = JsonSerializer.Serialize(new
        {
            action = "opened", number = 7,
            pull_request = new { number = 7, title = "Round totals", user = new { login = "rita" }, @base = new { @ref = "main" }, head = new { @ref = "feature/rounding", sha } },
            repository = new { full_name = "example/shop-reports" },
            sender = new { login = "rita" },
        });
        using (var delivered = await world.DeliverAsync(Project, "pull_request", payload, Secret))
            Assert.True(delivered.IsSuccessStatusCode, await delivered.Content.ReadAsStringAsync());
        var pull = await WaitForPullRequestRunAsync(7);
        var number = (await WaitForFinishAsync(pull)).GetProperty("number").GetInt32();

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}/runs/{number}");
        var tests = page.GetByRole(AriaRole.Region, new() { Name = "Tests" });
        await tests.GetByRole(AriaRole.Heading, new() { Name = "Tests: 2 of 5 tests failed" }).WaitForAsync();
        await tests.GetByText("5 total · 1 failed · 1 errored · 1 skipped · 2 passed · 4.2 s").WaitForAsync();
        await tests.GetByRole(AriaRole.Heading, new() { Name = "unit: 2 of 5 tests failed · 1 skipped · 4.2 s" }).WaitForAsync();
        var rounds = tests.Locator("details", new() { HasText = "shop.CalcTest › rounds" });
        Assert.False(await rounds.Locator(".stack-trace").IsVisibleAsync());
        await rounds.Locator("summary").ClickAsync();
        await rounds.GetByText("at shop.CalcTest.rounds(CalcTest.java:30)").WaitForAsync();
        var analysis = page.GetByRole(AriaRole.Region, new() { Name = "Static analysis" });
        await analysis.GetByText("1 error", new() { Exact = true }).WaitForAsync();
        await analysis.GetByText("unit: 1 error, 1 warning, 0 notes").WaitForAsync();
        await analysis.GetByText("src/calc.js:3").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "test-report");

        await page.GotoAsync($"/projects/{Project}/pulls/7");
        var changes = page.GetByRole(AriaRole.Region, new() { Name = "Test and analysis changes" });
        await changes.GetByRole(AriaRole.Heading, new() { Name = "New failures (1)" }).WaitForAsync();
        await changes.GetByRole(AriaRole.Heading, new() { Name = "Already failing on the target branch (1)" }).WaitForAsync();
        Assert.Contains("rounds", await changes.Locator("ul.test-failures").First.InnerTextAsync());
        Assert.Contains("divides", await changes.Locator("ul.test-failures").Nth(1).InnerTextAsync());
        await changes.GetByRole(AriaRole.Heading, new() { Name = "New findings (1)" }).WaitForAsync();
        await changes.GetByText("use let or const").WaitForAsync();
        await changes.GetByText("1 finding is on the target branch already.").WaitForAsync();
        await DashboardWorld.ScreenshotAsync(page, "test-report-pull-request");

        var phone = await world.NewPageAsync(width: 390, height: 844);
        await phone.GotoAsync($"/projects/{Project}/runs/{number}");
        var phoneTests = phone.GetByRole(AriaRole.Region, new() { Name = "Tests" });
        await phoneTests.Locator("details", new() { HasText = "shop.CalcTest › divides" }).Locator("summary").ClickAsync();
        await phoneTests.GetByText("at shop.CalcTest.divides(CalcTest.java:21)").WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the test report scrolls sideways on a phone");
        await DashboardWorld.ScreenshotAsync(phone, "test-report-phone");
        await phone.GotoAsync($"/projects/{Project}/pulls/7");
        await phone.GetByRole(AriaRole.Heading, new() { Name = "New failures (1)" }).WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the pull request page scrolls sideways on a phone");
        await DashboardWorld.ScreenshotAsync(phone, "test-report-pull-request-phone");
    }

    private async Task<long> TriggerAsync(string branch)
    {
        var response = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    private Task<JsonElement> WaitForFinishAsync(long id) =>
        world.WaitForRunAsync(id, run => run.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "invalid",
            TimeSpan.FromSeconds(120), "to finish");

    private async Task<long> WaitForPullRequestRunAsync(int number)
    {
        for (var i = 0; i < 240; i++)
        {
            var runs = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{Project}/pulls/{number}/runs")).RootElement;
            if (runs.GetProperty("items").GetArrayLength() > 0) return runs.GetProperty("items")[0].GetProperty("id").GetInt64();
            await Task.Delay(250);
        }

        throw new TimeoutException($"no run of pull request {number}:\n{world.Server.Output}");
    }
}
