using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary><c>resources</c> become container limits; an out-of-memory kill is reported as such.</summary>
[Collection(DockerCollection.Name)]
public sealed class ResourcesOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_SetsMemoryAndCpuLimitsOfTheContainer_WhenJobHasResources()
    {
        const string yaml = """
            stages: [main]
            jobs:
              limited:
                stage: main
                image: alpine:3
                resources: { memory: 16Mi, cpus: 0.5 }
                script:
                  - cat /sys/fs/cgroup/memory/memory.limit_in_bytes
                  - cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo 16777216
                  - echo $(( $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) * 100 / $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us) ))%
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["16777216", "16777216", "50%"], Harness.ScriptOutput(run, "limited").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ExecuteAsync_ReportsOutOfMemoryWithTheLimit_WhenScriptExceedsIt()
    {
        const string yaml = """
            stages: [main]
            jobs:
              hungry:
                stage: main
                image: alpine:3
                resources: { memory: 16Mi }
                script: ["dd if=/dev/zero of=/dev/null bs=64M count=1", "echo survived"]
            """;

        var run = await Harness.RunAsync(yaml);

        var attempt = run.Job("hungry").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("killed: out of memory, limit 16Mi", attempt.Message);
        Assert.Equal("pipeliner: job failed: killed: out of memory, limit 16Mi", Harness.LogText(run, "hungry")[^1]);
        Assert.DoesNotContain("survived", Harness.ScriptOutput(run, "hungry"));
        await AssertNoContainersLeftAsync(run);
    }
}
