using System.Diagnostics;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>How jobs end and what follows: timeout, retry, allow_failure, when, manual.</summary>
[Collection(DockerCollection.Name)]
public sealed class OutcomeOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_KillsContainerAndMarksTimedOut_WhenJobExceedsItsTimeout()
    {
        const string yaml = """
            stages: [main]
            jobs:
              slow: { stage: main, image: alpine:3, timeout: 10s, script: ["echo started", "sleep 300"] }
            """;
        var clock = Stopwatch.StartNew();

        var run = await Harness.RunAsync(yaml);

        // The timeout counts from before the container starts: 10 s lets a loaded machine start it and print "started".
        // The script sleeps 300 s: ending in under half of that proves the container was killed at the timeout.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(150), $"the 10s timeout took {clock.Elapsed}");
        var attempt = run.Job("slow").Attempts.Single();
        Assert.Equal(JobStatus.TimedOut, attempt.Status);
        Assert.Equal("timed out after 10s", attempt.Message);
        Assert.Contains("started", Harness.ScriptOutput(run, "slow"));
        Assert.Equal("pipeliner: job timed out: timed out after 10s", Harness.LogText(run, "slow")[^1]);
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_KeepsEachAttemptsLog_WhenFailingJobIsRetried()
    {
        const string yaml = """
            stages: [main]
            jobs:
              flaky: { stage: main, image: alpine:3, retry: 2, script: ["echo trying", "exit 4"] }
            """;

        var run = await Harness.RunAsync(yaml);

        var job = run.Job("flaky");
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal([1, 2, 3], job.Attempts.Select(a => a.Number));
        Assert.All(job.Attempts, a => Assert.Equal(4, a.ExitCode));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var log = Harness.LogText(run, "flaky", attempt);
            Assert.Equal($"pipeliner: job 'flaky', attempt {attempt}, on the docker backend, image alpine:3", log[0]);
            Assert.Contains("trying", log);
        }

        var record = Harness.Records.Load(run.Id)!;
        Assert.Equal([$"runs/{run.Id}/logs/flaky/1.log", $"runs/{run.Id}/logs/flaky/2.log", $"runs/{run.Id}/logs/flaky/3.log"],
            record.Jobs.Single().Attempts.Select(a => a.Log));
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_LetsPipelinePass_WhenFailingJobAllowsFailure()
    {
        const string yaml = """
            stages: [check, build]
            jobs:
              lint: { stage: check, image: alpine:3, allow_failure: true, script: ["exit 1"] }
              build: { stage: build, image: alpine:3, script: ["echo built"] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(JobStatus.Failed, run.Job("lint").Status);
        Assert.True(run.Job("lint").FailureAllowed);
        Assert.Equal(JobStatus.Succeeded, run.Job("build").Status);
    }

    [Fact]
    public async Task ExecuteAsync_RunsOnFailureAndAlwaysJobs_WhenAJobFails()
    {
        const string yaml = """
            stages: [build, deploy, after]
            jobs:
              build: { stage: build, image: alpine:3, script: ["exit 1"] }
              deploy: { stage: deploy, image: alpine:3, script: ["echo deploying"] }
              rollback: { stage: after, image: alpine:3, when: on_failure, script: ["echo rolling back"] }
              report: { stage: after, image: alpine:3, when: always, script: ["echo reporting"] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(JobStatus.Skipped, run.Job("deploy").Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("rollback").Status);
        Assert.Contains("rolling back", Harness.ScriptOutput(run, "rollback"));
        Assert.Equal(JobStatus.Succeeded, run.Job("report").Status);
    }

    [Fact]
    public async Task ExecuteAsync_SkipsOnFailureJobButRunsAlwaysJob_WhenEverythingSucceeds()
    {
        const string yaml = """
            stages: [build, after]
            jobs:
              build: { stage: build, image: alpine:3, script: ["true"] }
              rollback: { stage: after, image: alpine:3, when: on_failure, script: ["echo rolling back"] }
              report: { stage: after, image: alpine:3, when: always, script: ["echo reporting"] }
            """;

        var run = await Harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(JobStatus.Skipped, run.Job("rollback").Status);
        Assert.Empty(run.Job("rollback").Attempts);
        Assert.Equal(JobStatus.Succeeded, run.Job("report").Status);
    }

    [Fact]
    public async Task ExecuteAsync_RunsManualJobOnlyIfApproved_WhenRunWithAndWithoutApproval()
    {
        const string yaml = """
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: ["true"] }
              deploy: { stage: deploy, image: alpine:3, when: manual, script: ["echo deploying"] }
            """;
        var commit = Harness.Repository.CommitPipeline(yaml);

        var waiting = await Harness.RunAsync(yaml, commitSha: commit);
        var approved = await Harness.RunAsync(yaml, new RunOptions { Approved = new HashSet<string> { "deploy" } }, commitSha: commit);

        Assert.Equal((RunStatus.Succeeded, true), (waiting.Status, waiting.ManualJobsAvailable));
        Assert.Equal(JobStatus.Pending, waiting.Job("deploy").Status);
        Assert.Empty(waiting.Job("deploy").Attempts);
        Assert.False(File.Exists(Harness.Layout.JobLog(waiting.Id, "deploy", 1)));
        Assert.Equal(RunStatus.Succeeded, approved.Status);
        Assert.Contains("deploying", Harness.ScriptOutput(approved, "deploy"));
    }
}
