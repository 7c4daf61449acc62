using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary><c>POST /api/projects/{project}/plan</c>: what a manual run would do, read at its commit, nothing stored.</summary>
public class PlanPreviewTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string Conditional = """
        stages: [build, test, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo build"]
          stress:
            stage: test
            if: { events: [schedule] }
            script: ["echo stress"]
          deploy:
            stage: deploy
            needs: [build]
            when: manual
            environment: prod
            script: ["echo deploy"]

        """;

    [Fact]
    public async Task Plan_SaysEachJobsDecisionAndWhy_WithoutStoringARun()
    {
        var repository = app.NewRepository(Conditional);
        using var client = app.Client(await app.CreateTokenAsync(Role.Developer));
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);

        using var response = await client.PostAsJsonAsync($"/api/projects/{project}/plan", new { branch = "main", variables = new { SIZE = "large" } });

        await Api.ExpectAsync(response, HttpStatusCode.OK);
        var plan = await response.Content.ReadFromJsonAsync<JsonElement>(Api.Json);
        Assert.True(plan.GetProperty("runs").GetBoolean());
        Assert.Equal(repository.Head(), plan.GetProperty("commit").GetString());
        Assert.Equal("main", plan.GetProperty("branch").GetString());
        var jobs = plan.GetProperty("jobs").EnumerateArray().ToDictionary(j => j.GetProperty("id").GetString()!);
        Assert.Equal("run", jobs["build"].GetProperty("decision").GetString());
        Assert.Equal("skip", jobs["stress"].GetProperty("decision").GetString());
        Assert.Contains("manual", jobs["stress"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("manual", jobs["deploy"].GetProperty("decision").GetString());
        Assert.Equal("prod", jobs["deploy"].GetProperty("environment").GetString());
        Assert.Equal(["build", "test", "deploy"], plan.GetProperty("stages").EnumerateArray().Select(s => s.GetString()));

        var runs = await admin.GetFromJsonAsync<PageView>($"/api/projects/{project}/runs", Api.Json);
        Assert.Equal(0, runs!.Total);
    }

    [Fact]
    public async Task Plan_ShowsTheErrors_WhenThePipelineIsInvalid()
    {
        var repository = app.NewRepository("stages: [build]\njobs:\n  build:\n    stage: build\n    image: alpine:3\n    needs: [nothing]\n    script: [\"true\"]\n");
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var plan = await (await client.PostAsJsonAsync($"/api/projects/{project}/plan", new { })).Content.ReadFromJsonAsync<JsonElement>(Api.Json);

        var error = Assert.Single(plan.GetProperty("errors").EnumerateArray());
        Assert.Equal(6, error.GetProperty("line").GetInt32());
        Assert.Contains("nothing", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_SaysNoRun_WhenThePipelineDoesNotRunManually()
    {
        var repository = app.NewRepository("on: { push: { branches: [main] }, manual: false }\n" + Conditional);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var plan = await (await client.PostAsJsonAsync($"/api/projects/{project}/plan", new { })).Content.ReadFromJsonAsync<JsonElement>(Api.Json);

        Assert.False(plan.GetProperty("runs").GetBoolean());
        Assert.StartsWith("no run: ", plan.GetProperty("reason").GetString());
        Assert.Empty(plan.GetProperty("jobs").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"branch": "a..b"}""", HttpStatusCode.BadRequest, "branch 'a..b' is not a branch name")]
    [InlineData("""{"commit": "not-hex"}""", HttpStatusCode.BadRequest, "commit is a full or abbreviated")]
    [InlineData("""{"branch": "no-such-branch"}""", HttpStatusCode.UnprocessableEntity, "no-such-branch")]
    public async Task Plan_AnswersAProblem_WhenTheBranchOrCommitIsWrong(string body, HttpStatusCode status, string detail)
    {
        var repository = app.NewRepository(Conditional);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        using var response = await client.PostAsync($"/api/projects/{project}/plan", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Contains(detail, (await Api.ProblemAsync(response, status)).Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_RefusesViewers_AndAnswers404ForAnUnknownProject()
    {
        var repository = app.NewRepository(Conditional);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/projects/{project}/plan", new { })).StatusCode);
        await Api.ProblemAsync(await admin.PostAsJsonAsync("/api/projects/no-such-project/plan", new { }), HttpStatusCode.NotFound);
    }
}
