using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Environments;

/// <summary><c>GET /api/runs/{id}/promotions</c>: where this user may promote the run now, and the rule that says no elsewhere.</summary>
public class PromotionOptionsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Promotions_OfferOnlyTheEnvironmentsTheRulesAllow_AndNameTheRuleForTheOthers()
    {
        var repository = app.NewRepository(EnvironmentApi.DeliveryPipeline, "develop");
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository, hint: "options", defaultBranch: "develop");
        await admin.SetRulesAsync(project, "qa", new { requiredRole = "developer" });
        await admin.SetRulesAsync(project, "prod", new { requiredRole = "developer", branches = new[] { "release/*" }, tags = new[] { "v*" } });
        var runId = await admin.TriggerAsync(project, new { branch = "develop" });
        var number = (await admin.GetRunAsync(runId)).Number;
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        var options = await OptionsAsync(developer, runId);

        Assert.Equal(["qa", "prod"], options.Keys);
        Assert.True(options["qa"].GetProperty("allowed").GetBoolean());
        Assert.Equal(["deploy-qa"], options["qa"].GetProperty("jobs").EnumerateArray().Select(j => j.GetString()));
        Assert.False(options["prod"].GetProperty("allowed").GetBoolean());
        Assert.Equal("branches: release/*; tags: v*", options["prod"].GetProperty("rule").GetString());
        Assert.Equal($"run {number} is for branch 'develop', which prod does not accept", options["prod"].GetProperty("reason").GetString());

        var forViewer = await OptionsAsync(viewer, runId);
        Assert.False(forViewer["qa"].GetProperty("allowed").GetBoolean());
        Assert.Equal("requiredRole: developer", forViewer["qa"].GetProperty("rule").GetString());

        // What it offers, a promotion does: checked the same way.
        Assert.Equal(HttpStatusCode.Accepted, (await developer.PromoteAsync(runId, "qa")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await developer.PromoteAsync(runId, "prod")).StatusCode);
    }

    [Fact]
    public async Task Promotions_Answers404_ForAnUnknownRun()
    {
        using var admin = app.Client();

        await Api.ProblemAsync(await admin.GetAsync("/api/runs/987654/promotions"), HttpStatusCode.NotFound);
    }

    private static async Task<Dictionary<string, JsonElement>> OptionsAsync(HttpClient client, long runId)
    {
        var options = await client.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}/promotions", Api.Json);
        return options.EnumerateArray().ToDictionary(o => o.GetProperty("environment").GetString()!);
    }
}
