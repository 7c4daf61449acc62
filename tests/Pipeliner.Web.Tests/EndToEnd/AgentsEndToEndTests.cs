using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Pipeliner.Web.Tests.EndToEnd;

/// <summary>
/// The Agents page in Chromium against the real server: the embedded agent is listed; an admin creates a registration
/// token (shown once), an agent registers with it over the agent protocol and appears, is disabled and deleted from the
/// page; a finished job's card names the agent that ran it.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class AgentsEndToEndTests(DashboardWorld world)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task An_admin_creates_a_registration_token_sees_the_new_agent_then_disables_and_deletes_it()
    {
        // The server's own agent is listed like the others, under its name.
        var embedded = (await AgentsAsync()).Select(a => a.GetProperty("name").GetString()!).Single(n => n.StartsWith("embedded@", StringComparison.Ordinal));
        var page = await world.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Agents", Exact = true }).ClickAsync();
        await DashboardWorld.ExpectUrlAsync(page, new System.Text.RegularExpressions.Regex("/agents$"));
        var agents = page.GetByRole(AriaRole.Table, new() { Name = "Agents" });
        await agents.GetByRole(AriaRole.Row, new() { Name = $"Agent {embedded}", Exact = true }).GetByText("Online").WaitForAsync();

        var form = page.GetByRole(AriaRole.Form, new() { Name = "New registration token" });
        await form.GetByLabel("Token name").FillAsync("e2e lab");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create registration token" }).ClickAsync();
        var created = page.GetByRole(AriaRole.Region, new() { Name = "Created registration token" });
        await created.GetByText("will not be shown again").WaitForAsync();
        var token = await created.GetByLabel("Token", new() { Exact = true }).InputValueAsync();
        Assert.StartsWith("plg_", token);
        var tokenRow = page.GetByRole(AriaRole.Table, new() { Name = "Registration tokens" }).GetByRole(AriaRole.Row, new() { Name = $"Registration token e2e lab ({token[..10]})" });
        await tokenRow.GetByText("Registers agents").WaitForAsync();

        // An agent registers with it, as `pipeliner agent` does on its first start; the page's polling shows it.
        var name = $"lab-{Guid.NewGuid().ToString("N")[..6]}";
        using (var register = new HttpRequestMessage(HttpMethod.Post, "/api/agent/register"))
        {
            register.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            register.Content = JsonContent.Create(new { name, labels = new[] { "linux", "gpu" }, capacity = 3, version = "e2e" });
            using var anonymous = world.Server.Api(token: null);
            using var registered = await anonymous.SendAsync(register);
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }

        var row = agents.GetByRole(AriaRole.Row, new() { Name = $"Agent {name}", Exact = true });
        await row.GetByText("gpu", new() { Exact = true }).WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal("0 / 3", (await row.Locator("td[data-label='Capacity']").TextContentAsync())?.Trim());
        await DashboardWorld.ScreenshotAsync(page, "agents");

        // Dismissed, the token is gone from the page.
        await created.GetByRole(AriaRole.Button, new() { Name = "I have copied it, hide the token" }).ClickAsync();
        await Assertions.Expect(created).ToHaveCountAsync(0);
        Assert.DoesNotContain(token, await page.ContentAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = $"Disable {name}" }).ClickAsync();
        await row.GetByText("Disabled", new() { Exact = true }).WaitForAsync();
        Assert.Equal("disabled", (await AgentsAsync()).Single(a => a.GetProperty("name").GetString() == name).GetProperty("status").GetString());

        await row.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }).ClickAsync();
        await row.GetByRole(AriaRole.Group, new() { Name = $"Delete agent {name}?" }).GetByRole(AriaRole.Button, new() { Name = "Yes, delete" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.DoesNotContain(await AgentsAsync(), a => a.GetProperty("name").GetString() == name);
    }

    [Fact]
    public async Task A_finished_jobs_card_names_the_agent_that_ran_it()
    {
        var runId = await world.TriggerAsync("broken");
        var run = await world.WaitForRunAsync(runId, r => r.GetProperty("status").GetString() is "failed" or "succeeded", RunTimeout, "to finish");
        var agent = DashboardWorld.Job(run, "compile").GetProperty("attempts")[0].GetProperty("agent").GetString();
        Assert.False(string.IsNullOrEmpty(agent), "the API names no agent for the compile job");

        var page = await world.NewPageAsync();
        await page.GotoAsync($"/runs/{runId}");
        var card = page.Locator(".job-card[data-job='compile']");
        await card.GetByText($"on {agent}", new() { Exact = true }).WaitForAsync();
    }

    private async Task<List<JsonElement>> AgentsAsync() =>
        JsonDocument.Parse(await world.Server.Api().GetStringAsync("/api/agents")).RootElement.EnumerateArray().ToList();
}
