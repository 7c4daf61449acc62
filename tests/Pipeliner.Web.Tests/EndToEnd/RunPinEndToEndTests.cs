using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// A developer pins a run on its page (retention then keeps its logs and artifacts) and unpins it again; a viewer sees
/// that the run is pinned, and no button.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class RunPinEndToEndTests(DashboardWorld world)
{
    [Fact]
    public async Task Run_page_pins_and_unpins_the_run_for_a_developer_and_shows_a_viewer_only_that_it_is_pinned()
    {
        var runId = await world.TriggerAsync("main");
        var page = await world.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Pin run", Exact = true }).ClickAsync();
        var unpin = page.GetByRole(AriaRole.Button, new() { Name = "Unpin run", Exact = true });
        await unpin.WaitForAsync();
        var pinned = await world.RunAsync(runId);
        Assert.True(pinned.GetProperty("pinned").GetBoolean());
        var by = pinned.GetProperty("pinnedBy").GetString();
        Assert.False(string.IsNullOrEmpty(by));
        await Assertions.Expect(page.Locator(".run-pinned")).ToHaveTextAsync($"Pinned by {by}");
        await DashboardWorld.ScreenshotAsync(page, "run-pinned");

        // A viewer sees that the run is pinned, and may not change it.
        var created = await world.Server.Api().PostAsJsonAsync("/api/tokens", new { name = $"pin-viewer-{Guid.NewGuid():N}"[..20], role = "viewer" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var token = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString();
        var viewer = await world.NewPageAsync(signedIn: false);
        await viewer.Context.AddInitScriptAsync($"sessionStorage.setItem('pipeliner.token', '{token}')");
        await viewer.GotoAsync($"/runs/{runId}");
        await Assertions.Expect(viewer.Locator(".run-pinned")).ToHaveTextAsync($"Pinned by {by}");
        Assert.Equal(0, await viewer.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^(Un)?[Pp]in run$") }).CountAsync());

        await unpin.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Pin run", Exact = true }).WaitForAsync();
        Assert.False((await world.RunAsync(runId)).GetProperty("pinned").GetBoolean());
        Assert.Equal(0, await page.Locator(".run-pinned").CountAsync());
    }
}
