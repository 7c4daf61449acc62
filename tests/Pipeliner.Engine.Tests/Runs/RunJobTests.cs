using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Runs;

/// <summary>Core's job life cycle: every move not allowed throws <see cref="InvalidTransitionException"/>.</summary>
public sealed class RunJobTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Finish_QueuesNextAttempt_WhenFailedJobHasRetriesLeft()
    {
        var job = Job("retry: 2");

        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);

        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal("retrying: attempt 1 failed", job.Reason);
        Assert.Null(job.FinishedAt);
        Assert.Equal(2, job.Start(Now).Number);
    }

    [Fact]
    public void Finish_EndsJob_WhenRetriesAreUsedUp()
    {
        var job = Job("retry: 1");

        job.Start(Now);
        job.Finish(AttemptOutcome.TimedOut(TimeSpan.FromSeconds(5)), Now);
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now.AddSeconds(1));

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.False(job.HasRetriesLeft);
        Assert.Equal([JobStatus.TimedOut, JobStatus.Failed], job.Attempts.Select(a => a.Status));
        Assert.Equal(Now.AddSeconds(1), job.FinishedAt);
    }

    [Fact]
    public void Finish_DoesNotRetry_WhenAttemptWasCanceled()
    {
        var job = Job("retry: 3");

        job.Start(Now);
        job.Finish(AttemptOutcome.Canceled(), Now);

        Assert.Equal(JobStatus.Canceled, job.Status);
    }

    [Fact]
    public void Finish_FailsAtOnce_WhenTheAttemptHitAConfigurationFault()
    {
        var job = Job("retry: 3");

        job.Start(Now);
        job.Finish(AttemptOutcome.Misconfigured("secret not provided: DEPLOY_TOKEN"), Now);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("secret not provided: DEPLOY_TOKEN", job.Reason);
        Assert.Equal(FailureCause.Configuration, Assert.Single(job.Attempts).Cause);
    }

    [Fact]
    public void Finish_Throws_WhenALostAttemptIsReportedAsFinished()
    {
        var job = Job();
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(() =>
            job.Finish(new AttemptOutcome(JobStatus.Failed, null, "lost", null, FailureCause.Lost), Now));
    }

    [Fact]
    public void MarkLost_QueuesTheJobAgainWithoutUsingRetry_WhenItsAgentDied()
    {
        var job = Job("retry: 1");

        for (var i = 0; i < 3; i++)
        {
            job.Start(Now);
            job.MarkLost("lost: the server stopped", maxLostInARow: 3, Now);
        }

        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Equal("lost: the server stopped; queued again (lost 3 of at most 3 times in a row; retry not used)", job.Reason);
        Assert.All(job.Attempts, a => Assert.Equal((JobStatus.Failed, FailureCause.Lost), (a.Status, a.Cause)));
        // The job's own retry is still whole: its next two failures are retried once.
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);
        Assert.Equal(JobStatus.Queued, job.Status);
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);
        Assert.Equal((JobStatus.Failed, 5), (job.Status, job.Attempts.Count));
    }

    [Fact]
    public void MarkLost_FailsTheJob_WhenItIsLostMoreTimesInARowThanAllowed()
    {
        var job = Job();

        for (var i = 0; i < 3; i++)
        {
            job.Start(Now);
            job.MarkLost("lost: its agent stopped answering", maxLostInARow: 2, Now.AddSeconds(i));
        }

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("lost: its agent stopped answering; lost 3 times in a row, more than the 2 allowed: not queued again", job.Reason);
        Assert.Equal(Now.AddSeconds(2), job.FinishedAt);
    }

    [Fact]
    public void MarkLost_CountsOnlyLossesInARow_WhenAnAttemptEndedInBetween()
    {
        var job = Job("retry: 1");
        job.Start(Now);
        job.MarkLost("lost", maxLostInARow: 1, Now);
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);

        job.Start(Now);
        job.MarkLost("lost", maxLostInARow: 1, Now);

        Assert.Equal((JobStatus.Queued, 1), (job.Status, job.LostInARow));
    }

    [Fact]
    public void MarkLost_Throws_WhenJobIsNotRunning()
    {
        var job = Job();

        Assert.Throws<InvalidTransitionException>(() => job.MarkLost("lost", 3, Now));
    }

    [Fact]
    public void Finish_Throws_WhenJobIsNotRunning()
    {
        var job = Job();

        Assert.Throws<InvalidTransitionException>(() => job.Finish(AttemptOutcome.Succeeded(), Now));
    }

    [Theory]
    [InlineData(JobStatus.Running)]
    [InlineData(JobStatus.Skipped)]
    [InlineData(JobStatus.Queued)]
    public void Finish_Throws_WhenOutcomeIsNotAnEnd(JobStatus status)
    {
        var job = Job();
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(() => job.Finish(new AttemptOutcome(status, null, null, null), Now));
    }

    [Fact]
    public void Start_Throws_WhenJobHasSucceeded()
    {
        var job = Job();
        job.Start(Now);
        job.Finish(AttemptOutcome.Succeeded(), Now);

        Assert.Throws<InvalidTransitionException>(() => job.Start(Now));
    }

    [Fact]
    public void Start_Throws_WhenJobIsAlreadyRunning()
    {
        var job = Job();
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(() => job.Start(Now));
        Assert.Single(job.Attempts);
    }

    [Fact]
    public void SkipAndMarkPending_Throw_WhenJobIsRunning()
    {
        var job = Job();
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(() => job.Skip("late", Now));
        Assert.Throws<InvalidTransitionException>(() => job.MarkPending("waiting"));
    }

    [Fact]
    public void Skip_Throws_WhenJobHasFinished()
    {
        var job = Job();
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);

        Assert.Throws<InvalidTransitionException>(() => job.Skip("too late", Now));
    }

    [Fact]
    public void Cancel_EndsRunningAttempt_WhenJobIsRunning()
    {
        var job = Job();
        job.Start(Now);

        job.Cancel("interrupted", Now.AddSeconds(2));

        Assert.Equal(JobStatus.Canceled, job.Status);
        var attempt = Assert.Single(job.Attempts);
        Assert.Equal(JobStatus.Canceled, attempt.Status);
        Assert.Equal("interrupted", attempt.Message);
        Assert.Equal(TimeSpan.FromSeconds(2), attempt.Duration);
    }

    [Fact]
    public void Cancel_LeavesFinishedJobAlone_WhenJobAlreadyEnded()
    {
        var job = Job();
        job.Start(Now);
        job.Finish(AttemptOutcome.Succeeded(), Now);

        job.Cancel("late", Now);

        Assert.Equal(JobStatus.Succeeded, job.Status);
    }

    [Fact]
    public void Retry_QueuesFinishedJobAgain_WhenAPersonRetriesIt()
    {
        var job = Job();
        job.Start(Now);
        job.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);

        job.Retry();

        Assert.Equal(JobStatus.Queued, job.Status);
        Assert.Null(job.FinishedAt);
        Assert.Equal(2, job.Start(Now).Number);
    }

    [Fact]
    public void Retry_Throws_WhenJobIsRunning()
    {
        var job = Job();
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(job.Retry);
    }

    [Fact]
    public void Approve_Throws_WhenJobIsNotManual()
    {
        Assert.Throws<InvalidTransitionException>(() => Job().Approve("someone"));
    }

    [Fact]
    public void Approve_Throws_WhenManualJobAlreadyRuns()
    {
        var job = Job("when: manual");
        job.Approve("alice");
        job.Start(Now);

        Assert.Throws<InvalidTransitionException>(() => job.Approve("bob"));
        Assert.Equal("alice", job.ApprovedBy);
    }

    [Fact]
    public void MarkPending_KeepsReason_WhenCalledAgainWithAnother()
    {
        var job = Job();

        job.MarkPending("waiting for build");
        job.MarkPending("waiting for a free slot");

        Assert.Equal(JobStatus.Pending, job.Status);
        Assert.Equal("waiting for a free slot", job.Reason);
    }

    [Fact]
    public void FailureAllowed_IsTrue_WhenJobAllowingFailureHasFailed()
    {
        var allowed = Job("allow_failure: true");
        Assert.False(allowed.FailureAllowed);

        allowed.Start(Now);
        allowed.Finish(AttemptOutcome.Failed(1, "exit code 1"), Now);

        Assert.True(allowed.FailureAllowed);
    }

    [Fact]
    public void Constructor_StartsSkipped_WhenPlanSkipsTheJob()
    {
        var run = Plans.Run("""
            stages: [deploy]
            jobs:
              deploy: { stage: deploy, image: alpine:3, if: { branches: [release] }, script: [ship] }
            """);

        Assert.Equal(JobStatus.Skipped, run.Job("deploy").Status);
        Assert.Throws<InvalidTransitionException>(() => run.Job("deploy").Start(Now));
    }

    private static RunJob Job(string extra = "") => Plans.Run($$"""
        stages: [main]
        jobs:
          job:
            stage: main
            image: alpine:3
            script: [run]
            {{extra}}
        """).Job("job");
}
