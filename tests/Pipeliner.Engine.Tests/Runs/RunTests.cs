using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Runs;

/// <summary>Core's run status, which follows from its jobs.</summary>
public sealed class RunTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private const string TwoJobs = """
        stages: [main]
        jobs:
          a: { stage: main, image: alpine:3, script: [run] }
          b: { stage: main, image: alpine:3, script: [run] }
        """;

    [Fact]
    public void Refresh_IsQueuedThenRunning_WhenJobsStartButNotAllFinished()
    {
        var run = Plans.Run(TwoJobs);
        run.Refresh(Now);
        Assert.Equal(RunStatus.Queued, run.Status);

        run.Job("a").Start(Now);
        run.Refresh(Now);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(Now, run.StartedAt);

        run.Job("a").Finish(AttemptOutcome.Succeeded(), Now);
        run.Refresh(Now);
        Assert.Equal(RunStatus.Running, run.Status);
    }

    [Fact]
    public void Refresh_Succeeds_WhenEveryJobSucceeded()
    {
        var run = Plans.Run(TwoJobs);
        Succeed(run.Job("a"));
        Succeed(run.Job("b"));

        run.Refresh(Now.AddSeconds(9));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(Now.AddSeconds(9), run.FinishedAt);
    }

    [Fact]
    public void Refresh_Fails_WhenAJobFailedWithoutAllowFailure()
    {
        var run = Plans.Run(TwoJobs);
        Succeed(run.Job("a"));
        Fail(run.Job("b"));

        run.Refresh(Now);

        Assert.Equal(RunStatus.Failed, run.Status);
    }

    [Fact]
    public void Refresh_Succeeds_WhenOnlyAllowedFailuresFailed()
    {
        var run = Plans.Run("""
            stages: [main]
            jobs:
              a: { stage: main, image: alpine:3, allow_failure: true, script: [run] }
            """);
        Fail(run.Job("a"));

        run.Refresh(Now);

        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    private const string ManualDeploy = """
        stages: [build, deploy]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }
          deploy: { stage: deploy, image: alpine:3, when: manual, script: [ship] }
          smoke: { stage: deploy, image: alpine:3, needs: [deploy], script: [check] }
        """;

    [Fact]
    public void Refresh_SucceedsWithManualJobsAvailable_WhenOnlyManualJobsAndWhatNeedsThemRemain()
    {
        var run = Plans.Run(ManualDeploy);
        Succeed(run.Job("build"));

        RunAdvancer.Advance(run, Now.AddSeconds(3));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(run.ManualJobsAvailable);
        Assert.Equal(Now.AddSeconds(3), run.FinishedAt);
        Assert.Equal((JobStatus.Pending, JobStatus.Pending), (run.Job("deploy").Status, run.Job("smoke").Status));
    }

    [Fact]
    public void Refresh_KeepsTheFinishTime_WhenAFinishedRunWithManualJobsIsRefreshedAgain()
    {
        var run = Plans.Run(ManualDeploy);
        Succeed(run.Job("build"));
        RunAdvancer.Advance(run, Now.AddSeconds(3));

        RunAdvancer.Advance(run, Now.AddSeconds(60));

        Assert.Equal((RunStatus.Succeeded, Now.AddSeconds(3)), (run.Status, run.FinishedAt));
    }

    [Fact]
    public void Refresh_ReopensTheRun_WhenAPersonStartsAManualJobOfAFinishedRun()
    {
        var run = Plans.Run(ManualDeploy);
        Succeed(run.Job("build"));
        RunAdvancer.Advance(run, Now.AddSeconds(3));

        run.Job("deploy").Approve("alice");
        var ready = RunAdvancer.Advance(run, Now.AddSeconds(60));

        Assert.Equal(["deploy"], ready.Select(j => j.Id));
        Assert.Equal((RunStatus.Running, null, false), (run.Status, run.FinishedAt, run.ManualJobsAvailable));
        Succeed(run.Job("deploy"));
        Succeed(RunAdvancer.Advance(run, Now.AddSeconds(61)).Single());
        RunAdvancer.Advance(run, Now.AddSeconds(62));
        Assert.Equal((RunStatus.Succeeded, Now.AddSeconds(62), false), (run.Status, run.FinishedAt, run.ManualJobsAvailable));
    }

    [Fact]
    public void Refresh_FailsWithManualJobsAvailable_WhenAnotherJobFailed()
    {
        var run = Plans.Run("""
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: [make] }
              lint: { stage: build, image: alpine:3, script: [lint] }
              deploy: { stage: deploy, image: alpine:3, when: manual, needs: [build], script: [ship] }
            """);
        Succeed(run.Job("build"));
        Fail(run.Job("lint"));

        RunAdvancer.Advance(run, Now);

        Assert.Equal((RunStatus.Failed, true), (run.Status, run.ManualJobsAvailable));
    }

    [Fact]
    public void Refresh_IsWaiting_WhenABlockingManualJobRemains()
    {
        var run = Plans.Run(ManualDeploy.Replace("when: manual,", "when: manual, blocking: true,", StringComparison.Ordinal));
        Succeed(run.Job("build"));

        RunAdvancer.Advance(run, Now);

        Assert.Equal(RunStatus.Waiting, run.Status);
        Assert.Null(run.FinishedAt);
        Assert.False(run.ManualJobsAvailable);
    }

    [Fact]
    public void Cancel_CancelsOnlyUnfinishedJobs_WhenRunIsCancelled()
    {
        var run = Plans.Run(TwoJobs);
        Succeed(run.Job("a"));
        run.Job("b").Start(Now);

        run.Cancel("interrupted", Now.AddSeconds(1));

        Assert.Equal(RunStatus.Canceled, run.Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("a").Status);
        Assert.Equal(JobStatus.Canceled, run.Job("b").Status);
        run.Refresh(Now.AddSeconds(5));
        Assert.Equal(Now.AddSeconds(1), run.FinishedAt);
    }

    [Fact]
    public void Reopen_RunsAgain_WhenAPersonRetriesAFinishedRun()
    {
        var run = Plans.Run(TwoJobs);
        Succeed(run.Job("a"));
        Succeed(run.Job("b"));
        run.Refresh(Now);

        run.Reopen();

        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Null(run.FinishedAt);
    }

    [Fact]
    public void Job_Throws_WhenIdIsUnknown()
    {
        var run = Plans.Run(TwoJobs);

        Assert.Throws<KeyNotFoundException>(() => run.Job("nope"));
        Assert.False(run.TryGetJob("nope", out _));
    }

    private static void Succeed(RunJob job)
    {
        job.Start(Now);
        job.Finish(AttemptOutcome.Succeeded(), Now);
    }

    private static void Fail(RunJob job)
    {
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);
    }
}
