using Pipeliner.Core.Model;

namespace Pipeliner.Core.Tests.Compilation;

/// <summary>The server's defaults and ceilings for what a job may consume, and for how many jobs a run may have.</summary>
public class ResourceCeilingsTests
{
    private static readonly PipelineLimits Server = new(
        new ResourceLimits(null, new ByteSize(4L << 30), 1024, new ByteSize(100L << 20), new ByteSize(10L << 30), new ByteSize(1L << 30)),
        new ResourceLimits(null, new ByteSize(16L << 30), 4096, new ByteSize(1L << 30), null, null),
        MaxJobs: 6);

    private const string Pipeline = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: [make]

        """;

    [Fact]
    public void Load_GivesTheServersDefaults_WhenTheJobSetsNoLimit()
    {
        var job = Assert.Single(Load(Pipeline).Pipeline!.Jobs);

        Assert.Equal(Server.Defaults, job.Resources);
    }

    [Fact]
    public void Load_TakesTheJobsOwnLimits_WhenItRaisesThemWithinTheCeilings()
    {
        var job = Assert.Single(Load(Pipeline + "    resources: { pids: 4096, memory: 8Gi, log: 1Gi, workspace: 50Gi, artifacts: 5Gi }\n").Pipeline!.Jobs);

        Assert.Equal(new ResourceLimits(null, new ByteSize(8L << 30), 4096, new ByteSize(1L << 30), new ByteSize(50L << 30), new ByteSize(5L << 30)),
            job.Resources);
    }

    [Theory]
    [InlineData("pids: 100000", 7, 24, "jobs.build.resources.pids: 100000 is more than this server allows (4096, its Pipeliner:Limits:MaxPids)")]
    [InlineData("pids: 4", 7, 24, "jobs.build.resources.pids: expected a whole number of processes, at least 8; found '4'")]
    [InlineData("memory: 1Ti", 7, 26, "jobs.build.resources.memory: 1Ti is more than this server allows (16Gi, its Pipeliner:Limits:MaxMemory)")]
    [InlineData("log: 2Gi", 7, 23, "jobs.build.resources.log: 2Gi is more than this server allows (1Gi, its Pipeliner:Limits:MaxLog)")]
    [InlineData("workspace: 10", 7, 29, "jobs.build.resources.workspace: at least 1Mi, found '10'")]
    public void Load_ReportsTheKeyAtItsPosition_WhenAJobAsksForMoreThanTheServerAllows(string resources, int line, int column, string message)
    {
        var result = Load(Pipeline + $"    resources: {{ {resources} }}\n");

        Assert.Null(result.Pipeline);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal((line, column, message), (error.Location.Line, error.Location.Column, error.Message));
    }

    [Fact]
    public void Load_RefusesTheRunAtTheMatrix_WhenMatricesExpandToMoreJobsThanTheServerAllows()
    {
        // 2 plain jobs and 5 × 2 instances: counted before expanding.
        var result = Load("""
            stages: [build]
            defaults: { image: alpine:3 }
            jobs:
              one: { stage: build, script: [make] }
              two: { stage: build, script: [make] }
              wide:
                stage: build
                script: [make]
                matrix:
                  A: [1, 2, 3, 4, 5]
                  B: [x, y]
            """);

        Assert.Null(result.Pipeline);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(10, error.Location.Line);
        Assert.Equal("jobs.wide: the run would have more than 6 jobs (matrices expanded) with this job; a run has at most 6 (the server's Pipeliner:Limits:JobsPerRun)",
            error.Message);
    }

    [Fact]
    public void Load_AcceptsExactlyTheMostJobs_WhenTheMatrixReachesTheLimit()
    {
        var result = Load(Pipeline + "    matrix: { A: [1, 2, 3], B: [x, y] }\n");

        Assert.Equal(6, result.Pipeline!.Jobs.Count);
    }

    private static PipelineLoadResult Load(string text) => PipelineLoader.Load(text, Server);
}
