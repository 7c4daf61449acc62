using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>After any run no container of it remains: every job here also has a service, which must go too.</summary>
[Collection(DockerCollection.Name)]
public sealed class LeftoversOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Theory]
    [InlineData("true", RunStatus.Succeeded)]
    [InlineData("exit 5", RunStatus.Failed)]
    [InlineData("sleep 300", RunStatus.Failed)]
    public async Task ExecuteAsync_LeavesNoContainer_WhenRunSucceedsFailsOrTimesOut(string command, RunStatus status)
    {
        var run = await Harness.RunAsync(JobWithService(command));

        Assert.Equal(status, run.Status);
        await AssertNoContainersLeftAsync(run);
        Assert.False(Directory.Exists(Harness.Layout.Workspace(run.Id, "job", 1)));
    }

    [Fact]
    public async Task ExecuteAsync_StopsAndRemovesEverything_WhenRunIsCancelled()
    {
        var runId = Plans.NewRunId();
        using var cancel = new CancellationTokenSource();
        var running = Harness.RunAsync(JobWithService("sleep 300"), new RunOptions(), cancel.Token, runId: runId);
        await WaitForRunningContainerAsync(runId, TimeSpan.FromSeconds(30));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await cancel.CancelAsync();
        var run = await running;

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancelling took {clock.Elapsed}");
        Assert.Equal(RunStatus.Canceled, run.Status);
        Assert.Equal(JobStatus.Canceled, run.Job("job").Attempts.Single().Status);
        await AssertNoContainersLeftAsync(run);
    }

    private static string JobWithService(string command) => $$"""
        stages: [main]
        jobs:
          job:
            stage: main
            image: alpine:3
            timeout: 2s
            services:
              - { name: sidecar, image: "busybox:latest", command: ["sleep", "300"] }
            script: ["{{command}}"]
        """;
}
