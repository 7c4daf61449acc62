using System.Net;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary><c>GET /api/runs/{id}</c> without an agent: jobs wait, and say what for.</summary>
public class RunReadTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string Waiting = """
        stages: [build, test, deploy]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo build"]
          gpu-test:
            stage: test
            runs-on: [gpu]
            needs: [build]
            script: ["echo gpu"]
          lint:
            stage: test
            needs: []
            script: ["echo lint"]
          deploy:
            stage: deploy
            needs: [gpu-test, lint]
            when: manual
            environment: production
            script: ["echo deploy"]

        """;

    [Fact]
    public async Task Get_ReturnsJobsWithStagesNeedsAndPendingReasons_WhenNothingRunsYet()
    {
        var repository = app.NewRepository(Waiting);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("queued", run.Status);
        Assert.Equal(["build", "gpu-test", "lint", "deploy"], run.Jobs.Select(j => j.Id));
        Assert.Equal(["build", "test", "test", "deploy"], run.Jobs.Select(j => j.Stage));
        Assert.Equal(["gpu-test", "lint"], run.Job("deploy").Needs);
        Assert.Equal(["build"], run.Job("gpu-test").Needs);
        Assert.All(run.Jobs, job => Assert.Equal("pending", job.Status));
        Assert.Equal("no agent online", run.Job("build").Reason);
        Assert.Equal("waiting for build", run.Job("gpu-test").Reason);
        Assert.Equal("waiting for gpu-test, lint", run.Job("deploy").Reason);
        Assert.True(run.Job("deploy").Manual);
        Assert.All(run.Jobs, job => Assert.Empty(job.Attempts));
    }

    [Fact]
    public async Task Get_SaysNoAgentIsOnline_WhenAJobNeedsAnAgentWithLabelsAndThereIsNone()
    {
        const string pipeline = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              gpu-test:
                stage: test
                runs-on: [gpu, linux]
                script: ["echo gpu"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("no agent online", run.Job("gpu-test").Reason);
    }

    [Theory]
    [InlineData("", "succeeded", true)]
    [InlineData("blocking: true", "waiting", false)]
    public async Task Get_ShowsWhetherTheManualJobHoldsTheRun_WhenOnlyAManualJobIsLeft(string blocking, string status, bool manualJobsAvailable)
    {
        var pipeline = $$"""
            stages: [deploy]
            defaults: { image: alpine:3 }
            jobs:
              deploy:
                stage: deploy
                when: manual
                {{blocking}}
                script: ["echo deploy"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal((status, manualJobsAvailable), (run.Status, run.ManualJobsAvailable));
        Assert.Equal(manualJobsAvailable, run.FinishedAt is not null);
        Assert.Equal("pending", run.Job("deploy").Status);
        Assert.Equal("waiting for approval", run.Job("deploy").Reason);
    }

    [Fact]
    public async Task Get_ShowsSkippedJobsWithTheirReason_WhenTheirConditionDoesNotMatch()
    {
        const string pipeline = """
            stages: [build, release]
            defaults: { image: alpine:3 }
            jobs:
              build:
                stage: build
                script: ["echo build"]
              release:
                stage: release
                if: { tags: ["v*"] }
                script: ["echo release"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("skipped", run.Job("release").Status);
        Assert.False(string.IsNullOrEmpty(run.Job("release").Reason));
    }

    [Theory]
    [InlineData("/api/runs/987654321")]
    [InlineData("/api/runs/0")]
    [InlineData("/api/runs/-5")]
    public async Task Get_Returns404Problem_WhenTheRunDoesNotExist(string path)
    {
        using var client = app.Client();

        using var response = await client.GetAsync(path);

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/api/runs/abc")]
    [InlineData("/api/runs/99999999999999999999999")]
    public async Task Get_Returns404_WhenTheIdIsNotANumber(string path)
    {
        using var client = app.Client();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Get_Returns401_WhenNoTokenIsSent()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        var id = await admin.TriggerAsync(project);
        using var anonymous = app.Client(token: null);

        using var response = await anonymous.GetAsync($"/api/runs/{id}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
