using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// A pipeline of 7 stages and 35 jobs, with needs across stages, stays readable: at 1280 px the graph pans to every
/// stage and no arrow crosses a card; on a phone the stages are a list that fits the screen.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class StageGraphEndToEndTests(DashboardWorld world) : IDisposable
{
    private const string Project = "shop-big-graph";
    private const int Stages = 7;
    private const int JobsPerStage = 5;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>Every job manual (nothing runs): job j of a stage needs job j of the stage before, and the first job of each stage also one two stages back.</summary>
    private static string BigPipeline()
    {
        var yaml = new StringBuilder();
        yaml.AppendLine($"stages: [{string.Join(", ", Enumerable.Range(1, Stages).Select(s => $"stage{s}"))}]");
        yaml.AppendLine("jobs:");
        for (var s = 1; s <= Stages; s++)
        {
            for (var j = 1; j <= JobsPerStage; j++)
            {
                var needs = new List<string>();
                if (s > 1) needs.Add($"s{s - 1}-job{j}");
                if (s > 2 && j == 1) needs.Add($"s{s - 2}-job{JobsPerStage}");
                yaml.AppendLine($"  s{s}-job{j}:");
                yaml.AppendLine($"    stage: stage{s}");
                yaml.AppendLine("    image: alpine:3");
                yaml.AppendLine("    when: manual");
                if (needs.Count > 0) yaml.AppendLine($"    needs: [{string.Join(", ", needs)}]");
                yaml.AppendLine("    script: [\"true\"]");
            }
        }

        return yaml.ToString();
    }

    [Fact]
    public async Task A_graph_of_7_stages_and_35_jobs_pans_without_arrows_across_cards_and_is_a_list_on_a_phone()
    {
        var repository = await GitRepository.CreateAsync(_directory.Combine("repo"));
        await repository.CommitAsync("A big pipeline", (".pipeliner.yml", BigPipeline()));
        var created = await world.Server.Api().PostAsJsonAsync("/api/projects", new
        {
            name = Project, repository = repository.Path, forge = "github", webhookSecret = "e2e-big-graph-secret", defaultBranch = "main",
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var response = await world.Server.Api().PostAsJsonAsync($"/api/projects/{Project}/runs", new { branch = "main" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var number = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("number").GetInt32();

        var page = await world.NewPageAsync(1280, 900);
        await page.GotoAsync($"/projects/{Project}/runs/{number}");
        var graph = page.GetByRole(AriaRole.Group, new() { Name = "Stages and jobs" });
        await graph.Locator(".job-card[data-job='s7-job5']").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        Assert.Equal(Stages * JobsPerStage, await graph.Locator(".job-card").CountAsync());
        await DashboardWorld.ScreenshotAsync(page, "stage-graph-big");

        // No arrow passes through a card: points along every arrow, a little inside any card, are none.
        var crossings = await page.EvaluateAsync<string[]>("""
            () => {
              const graph = document.querySelector('.stage-graph');
              const origin = graph.getBoundingClientRect();
              const cards = [...graph.querySelectorAll('.job-card')].map(card => {
                const r = card.getBoundingClientRect();
                return { job: card.dataset.job, left: r.left - origin.left + 3, right: r.right - origin.left - 3, top: r.top - origin.top + 3, bottom: r.bottom - origin.top - 3 };
              });
              const found = [];
              for (const path of graph.querySelectorAll('path.needs-arrow')) {
                const length = path.getTotalLength();
                for (let at = 0; at <= length; at += 3) {
                  const p = path.getPointAtLength(at);
                  const card = cards.find(c => p.x > c.left && p.x < c.right && p.y > c.top && p.y < c.bottom);
                  if (card) { found.push(`${path.dataset.from}->${path.dataset.to} crosses ${card.job}`); break; }
                }
              }
              return found;
            }
            """);
        Assert.Empty(crossings);

        // No card overlaps another, and each stage's cards sit in its column, under its title (bounding boxes).
        var boxes = new List<(string Job, LocatorBoundingBoxResult Box)>();
        foreach (var card in await graph.Locator(".job-card").AllAsync())
            boxes.Add((await card.GetAttributeAsync("data-job") ?? "?", (await card.BoundingBoxAsync())!));
        var overlaps = (from a in boxes
                        from b in boxes
                        where string.CompareOrdinal(a.Job, b.Job) < 0 && Overlap(a.Box, b.Box)
                        select $"{a.Job} overlaps {b.Job}").ToList();
        Assert.Empty(overlaps);
        for (var s = 1; s <= Stages; s++)
        {
            var title = (await graph.Locator($".stage-title[data-stage='stage{s}']").BoundingBoxAsync())!;
            Assert.True(title.Width > 0 && title.Height > 0, $"stage{s}'s title is hidden");
            foreach (var (job, box) in boxes.Where(b => b.Job.StartsWith($"s{s}-", StringComparison.Ordinal)))
            {
                Assert.True(box.Y >= title.Y + title.Height - 1, $"{job} is above its stage's title");
                Assert.True(box.X < title.X + title.Width && box.X + box.Width > title.X, $"{job} is not in the column of stage{s}");
            }
        }
        Assert.Equal(Stages * JobsPerStage - JobsPerStage + (Stages - 2), await graph.Locator("path.needs-arrow").CountAsync());

        // Wider than the page, the graph pans: the last stage comes into view, and every stage has its title.
        var scroller = page.Locator(".stage-graph-scroll");
        Assert.True(await scroller.EvaluateAsync<bool>("e => e.scrollWidth > e.clientWidth && getComputedStyle(e).overflowX === 'auto'"));
        for (var s = 1; s <= Stages; s++) await graph.Locator($".stage-title[data-stage='stage{s}']").WaitForAsync();
        await scroller.EvaluateAsync("e => e.scrollLeft = e.scrollWidth");
        await Assertions.Expect(graph.Locator($".stage-title[data-stage='stage{Stages}']")).ToBeInViewportAsync();
        await DashboardWorld.ScreenshotAsync(page, "stage-graph-big-panned");

        // On a phone: one stage after the other, every job in it, nothing wider than the screen.
        var phone = await world.NewPageAsync(390, 844);
        await phone.GotoAsync($"/projects/{Project}/runs/{number}");
        var list = phone.GetByRole(AriaRole.Group, new() { Name = "Stages and jobs" });
        await list.GetByRole(AriaRole.Region, new() { Name = $"Stage stage{Stages}" }).WaitForAsync();
        Assert.Equal(Stages, await list.Locator(".stage-list-stage").CountAsync());
        Assert.Equal(Stages * JobsPerStage, await list.Locator(".job-card").CountAsync());
        await list.Locator(".stage-list-job", new() { Has = phone.Locator(".job-card[data-job='s3-job1']") }).GetByText("needs s2-job1, s1-job5").WaitForAsync();
        Assert.True(await phone.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"),
            "the run page is wider than the phone's screen");
        // Usable: every card is as wide as fits the screen, none overlaps the next,.
        var phoneBoxes = new List<LocatorBoundingBoxResult>();
        foreach (var card in await list.Locator(".job-card").AllAsync()) phoneBoxes.Add((await card.BoundingBoxAsync())!);
        Assert.All(phoneBoxes, box => Assert.InRange(box.X + box.Width, 100, 390));
        Assert.DoesNotContain(phoneBoxes.Zip(phoneBoxes.Skip(1)), pair => Overlap(pair.First, pair.Second));
        await DashboardWorld.ScreenshotAsync(phone, "stage-graph-big-phone");
    }

    private static bool Overlap(LocatorBoundingBoxResult a, LocatorBoundingBoxResult b) =>
        a.X < b.X + b.Width - 0.5 && b.X < a.X + a.Width - 0.5 && a.Y < b.Y + b.Height - 0.5 && b.Y < a.Y + a.Height - 0.5;
}
