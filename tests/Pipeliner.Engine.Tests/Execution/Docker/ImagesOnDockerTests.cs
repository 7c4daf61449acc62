using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>A local image is used as it is; a missing one is pulled, and a failed pull is a clear error.</summary>
[Collection(DockerCollection.Name)]
public sealed class ImagesOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_UsesLocalImage_WhenNoRegistryIsReachable()
    {
        const string yaml = """
            stages: [main]
            jobs:
              local: { stage: main, image: pipeliner-test/busybox:latest, script: ["echo ran locally"] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("ran locally", Harness.ScriptOutput(run, "local"));
    }

    [Fact]
    public async Task ExecuteAsync_FailsJobWithClearMessageWithoutRetrying_WhenImageIsMissingAndCannotBePulled()
    {
        const string yaml = """
            stages: [main]
            jobs:
              ghost: { stage: main, image: "pipeliner-test/no-such-image:1.0", retry: 2, script: ["echo never"] }
              other: { stage: main, image: alpine:3, script: ["echo fine"] }
            """;

        var run = await Harness.RunAsync(yaml);

        var attempt = run.Job("ghost").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.StartsWith("image 'pipeliner-test/no-such-image:1.0' is not on this engine and pulling it failed: ", attempt.Message);
        Assert.DoesNotContain("{", attempt.Message);
        Assert.Equal(FailureCause.Configuration, attempt.Cause);
        Assert.Contains("(a configuration fault: not retried)", Harness.LogText(run, "ghost").Last());
        Assert.DoesNotContain("$ echo never", Harness.LogText(run, "ghost"));
        Assert.Equal(JobStatus.Succeeded, run.Job("other").Status);
        await AssertNoContainersLeftAsync(run);
    }
}
