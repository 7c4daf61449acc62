using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary><c>concurrency: cancel-previous</c>: a newer run of a branch cancels the older one still going.</summary>
public class ConcurrencyTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string CancelPrevious = """
        concurrency: cancel-previous
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo build"]

        """;

    [Fact]
    public async Task Trigger_CancelsTheOlderRunOfTheBranch_WhenThePipelineSaysCancelPrevious()
    {
        var repository = app.NewRepository(CancelPrevious);
        repository.CreateBranch("other");
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var older = await client.TriggerAsync(project, new { branch = "main" });
        var otherBranch = await client.TriggerAsync(project, new { branch = "other" });

        var newer = await client.TriggerAsync(project, new { branch = "main" });

        var canceled = await client.GetRunAsync(older);
        Assert.Equal("canceled", canceled.Status);
        Assert.Contains("supersedes", canceled.Job("build").Reason, StringComparison.Ordinal);
        Assert.Equal("queued", (await client.GetRunAsync(newer)).Status);
        Assert.Equal("queued", (await client.GetRunAsync(otherBranch)).Status);
    }

    [Fact]
    public async Task Trigger_KeepsOlderRuns_WhenThePipelineRunsInParallel()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var older = await client.TriggerAsync(project);

        await client.TriggerAsync(project);

        Assert.Equal("queued", (await client.GetRunAsync(older)).Status);
    }
}
