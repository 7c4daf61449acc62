using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// "What happened to my webhook?" in Chromium: a push that runs, one the pipeline does not build, one with a wrong secret;
/// the Deliveries tab says what became of each and why, an admin redelivers one, and the project card shows the failure.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DeliveriesEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-hooks";
    private const string Secret = "e2e-hooks-secret";
    private const string MainOnly = """
        on:
          push: { branches: [main] }
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo built"]

        """;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Deliveries_tab_says_what_became_of_each_webhook_and_an_admin_redelivers_one()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        var main = await repository.CommitAsync("Build main only", (".pipeliner.yml", MainOnly));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "github", webhookSecret = Secret, defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, $"registering the project: {created.StatusCode} {await created.Content.ReadAsStringAsync()}");

        await DeliverPushAsync("refs/heads/main", main, Secret, "push-main", HttpStatusCode.Accepted);
        await WaitForOutcomeAsync("push-main", "run");
        await DeliverPushAsync("refs/heads/experiment/x", main, Secret, "push-experiment", HttpStatusCode.Accepted);
        await WaitForOutcomeAsync("push-experiment", "not_triggered");
        await DeliverPushAsync("refs/heads/main", main, "a-stale-secret", "push-stale", HttpStatusCode.Unauthorized);

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/projects/{Project}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Webhook deliveries" }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new System.Text.RegularExpressions.Regex($"/projects/{Project}/deliveries$"));
        var rows = page.Locator("tr[data-delivery]");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("Invalid signature");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("does not match the project's webhook secret");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("Not triggered");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("branch 'experiment/x' matches none of main");
        await Assertions.Expect(rows.Nth(2)).ToContainTextAsync("Run #1");
        await DashboardWorld.ScreenshotAsync(page, "deliveries");

        // The admin sends the push of main again: a second run, listed as a redelivery of the first.
        await rows.Nth(2).GetByRole(AriaRole.Button, new() { Name = "Redeliver delivery" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("sent again", new() { Timeout = 30_000 });
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("Run #2", new() { Timeout = 60_000 });

        // The project card says that the newest delivery was refused, and why.
        await DeliverPushAsync("refs/heads/main", main, "a-stale-secret", "push-stale-again", HttpStatusCode.Unauthorized);
        await page.GotoAsync("/");
        var card = page.Locator($"article[data-project='{Project}']");
        await Assertions.Expect(card.GetByText("Last webhook: invalid signature")).ToBeVisibleAsync();
        await Assertions.Expect(card).ToContainTextAsync("does not match the project's webhook secret");
        await card.ScrollIntoViewIfNeededAsync();
        await DashboardWorld.ScreenshotAsync(page, "project-card-webhook-failure");
    }

    private async Task DeliverPushAsync(string gitRef, string commit, string secret, string deliveryId, HttpStatusCode expected)
    {
        var payload = JsonSerializer.Serialize(new
        {
            @ref = gitRef, before = new string('0', 40), after = commit,
            head_commit = new { id = commit, message = "Build main only" },
            repository = new { full_name = "example/shop-hooks" },
            pusher = new { name = "dora" },
        });
        using var response = await world.DeliverAsync(Project, "push", payload, secret, deliveryId);
        Assert.True(response.StatusCode == expected, $"delivering {deliveryId}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task WaitForOutcomeAsync(string deliveryId, string outcome)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? seen = null;
        while (DateTime.UtcNow < deadline)
        {
            var page = JsonDocument.Parse(await world.Server.Api().GetStringAsync($"/api/projects/{Project}/deliveries")).RootElement;
            seen = page.GetProperty("items").EnumerateArray()
                .Where(d => d.GetProperty("deliveryId").GetString() == deliveryId)
                .Select(d => d.GetProperty("outcome").GetString()).FirstOrDefault();
            if (seen == outcome) return;
            await Task.Delay(200);
        }

        throw new TimeoutException($"delivery {deliveryId} is {seen ?? "not listed"}, not {outcome}\n{world.Server.Output}");
    }
}
