using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>Independent jobs run at the same time, up to the parallel limit.</summary>
[Collection(DockerCollection.Name)]
public sealed class ParallelOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    /// <summary>Long enough that starting the second container cannot take longer, even on a busy machine.</summary>
    private static string TwoSleepers(int seconds) => $$"""
        stages: [main]
        jobs:
          left: { stage: main, image: alpine:3, script: ["echo begin", "sleep {{seconds}}", "echo end"] }
          right: { stage: main, image: alpine:3, script: ["echo begin", "sleep {{seconds}}", "echo end"] }
        """;

    [Fact]
    public async Task ExecuteAsync_OverlapsIndependentJobs_WhenParallelAllowsIt()
    {
        var run = await Harness.RunAsync(TwoSleepers(3), new RunOptions { Parallel = 2 });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var (left, right) = (Span(run, "left"), Span(run, "right"));
        Assert.True(left.Begin < right.End && right.Begin < left.End, $"left {left} and right {right} did not overlap");
    }

    [Fact]
    public async Task ExecuteAsync_RunsJobsOneAfterAnother_WhenParallelIsOne()
    {
        var run = await Harness.RunAsync(TwoSleepers(1), new RunOptions { Parallel = 1 });

        var (left, right) = (Span(run, "left"), Span(run, "right"));
        Assert.True(left.End <= right.Begin || right.End <= left.Begin, $"left {left} and right {right} overlapped");
    }

    /// <summary>When the script printed "begin" and "end", by the stored log's timestamps.</summary>
    private (DateTimeOffset Begin, DateTimeOffset End) Span(Run run, string job)
    {
        var lines = Harness.StoredLog(run, job);
        DateTimeOffset At(string text) => DateTimeOffset.Parse(lines.Single(l => l[25..] == text)[..24], System.Globalization.CultureInfo.InvariantCulture);
        return (At("begin"), At("end"));
    }
}
