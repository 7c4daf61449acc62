using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>After any run no container of it remains: every job here also has a service, which must go too.</summary>
[Collection(DockerCollection.Name)]
public sealed class LeftoversOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    // The timeout counts from before the service starts: only the job meant to time out gets a short one, the others
    // one that a loaded machine's container starts cannot reach.
    [Theory]
    [InlineData("true", "5m", RunStatus.Succeeded)]
    [InlineData("exit 5", "5m", RunStatus.Failed)]
    [InlineData("sleep 300", "2s", RunStatus.Failed)]
    public async Task ExecuteAsync_LeavesNoContainer_WhenRunSucceedsFailsOrTimesOut(string command, string timeout, RunStatus status)
    {
        var run = await Harness.RunAsync(JobWithService(command, timeout));

        Assert.Equal(status, run.Status);
        await AssertNoContainersLeftAsync(run);
        Assert.False(Directory.Exists(Harness.Layout.Workspace(run.Id, "job", 1)));
    }

    [Fact]
    public async Task ExecuteAsync_StopsAndRemovesEverything_WhenRunIsCancelled()
    {
        var runId = Plans.NewRunId();
        using var cancel = new CancellationTokenSource();
        var running = Harness.RunAsync(JobWithService("sleep 300", "5m"), new RunOptions(), cancel.Token, runId: runId);
        await WaitForRunningContainerAsync(runId, TimeSpan.FromMinutes(2));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await cancel.CancelAsync();
        var run = await running;

        // The job sleeps 300 s: ending in under half of that proves it was stopped, with room for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(150), $"cancelling took {clock.Elapsed}");
        Assert.Equal(RunStatus.Canceled, run.Status);
        Assert.Equal(JobStatus.Canceled, run.Job("job").Attempts.Single().Status);
        await AssertNoContainersLeftAsync(run);
    }

    private static string JobWithService(string command, string timeout) => $$"""
        stages: [main]
        jobs:
          job:
            stage: main
            image: alpine:3
            timeout: {{timeout}}
            services:
              - { name: sidecar, image: "busybox:latest", command: ["sleep", "300"] }
            script: ["{{command}}"]
        """;
}
