using System.Net;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>A server whose stored plans may hold at most 64 KiB (<c>Pipeliner:Limits:PlanBytes</c>) and whose runs at most 4 jobs.</summary>
public sealed class AppWithSmallPlans() : PipelinerApp(agentCapacity: 0, new Dictionary<string, string>
{
    ["Pipeliner:Limits:PlanBytes"] = "65536",
    ["Pipeliner:Limits:JobsPerRun"] = "4",
});

/// <summary>What the server refuses to parse or store, whoever triggers the run: the file's size, the plan's size, the jobs' count.</summary>
public sealed class PipelineSizeLimitsTests(AppWithSmallPlans app) : IClassFixture<AppWithSmallPlans>
{
    [Fact]
    public async Task Trigger_MakesAnInvalidRunSayingTheSize_WhenThePipelineFileIsOver1MiB()
    {
        // Valid YAML that would parse: a comment of 2 MiB after a valid pipeline.
        var pipeline = Pipelines.OneJob + "# " + new string('x', 2 * 1024 * 1024) + "\n";
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(pipeline));

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("invalid", run.Status);
        var error = Assert.Single(run.Errors!);
        Assert.Equal((1, 1), (error.Line, error.Column));
        Assert.Matches(@"^\.pipeliner\.yml: the file holds 2Mi \(\d+ bytes\); a pipeline file holds at most 1 MiB$", error.Message);
    }

    [Fact]
    public async Task Trigger_MakesAnInvalidRun_WhenThePlanWouldBeLargerThanTheServerStores()
    {
        var script = string.Join(", ", Enumerable.Range(0, 700).Select(i => $"\"echo {i} {new string('p', 100)}\""));
        var pipeline = $"stages: [build]\njobs:\n  build:\n    stage: build\n    image: alpine:3\n    script: [{script}]\n";
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(pipeline));

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("invalid", run.Status);
        Assert.StartsWith("the run's plan would take ", Assert.Single(run.Errors!).Message, StringComparison.Ordinal);
        Assert.EndsWith("a run's plan holds at most 64Ki (Pipeliner:Limits:PlanBytes): fewer jobs, shorter scripts or variables",
            run.Errors![0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_MakesAnInvalidRunNamingTheMatrix_WhenItExpandsToMoreJobsThanTheServerAllows()
    {
        const string pipeline = """
            stages: [build]
            jobs:
              build:
                stage: build
                image: alpine:3
                script: [make]
                matrix:
                  OS: [linux, windows, mac]
                  ARCH: [x64, arm64]

            """;
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(pipeline));

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("invalid", run.Status);
        var error = Assert.Single(run.Errors!);
        Assert.Equal((8, 7), (error.Line, error.Column));
        Assert.Equal("jobs.build: the run would have more than 4 jobs (matrices expanded) with this job; a run has at most 4 (the server's Pipeliner:Limits:JobsPerRun)",
            error.Message);
    }
}
