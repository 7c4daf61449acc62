using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Runs;

/// <summary>Core's runtime half of <c>when</c> and skip propagation.</summary>
public sealed class JobGateTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private const string Chain = """
        stages: [build, deploy, after]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }
          deploy: { stage: deploy, image: alpine:3, needs: [build], script: [ship] }
          rollback: { stage: after, image: alpine:3, needs: [deploy], when: on_failure, script: [undo] }
          report: { stage: after, image: alpine:3, needs: [deploy], when: always, script: [tell] }
          approve: { stage: after, image: alpine:3, needs: [deploy], when: manual, script: [go] }
        """;

    [Fact]
    public void Evaluate_Waits_WhenANeedHasNotFinished()
    {
        var run = Plans.Run(Chain);
        run.Job("build").Start(Now);

        var decision = JobGate.Evaluate(run.Job("deploy"), run);

        Assert.Equal(new GateDecision(GateVerdict.Wait, "waiting for build"), decision);
    }

    [Fact]
    public void Evaluate_NamesFirstThreeAndCountsTheRest_WhenWaitingForManyNeeds()
    {
        var run = Plans.Run("""
            stages: [a, b]
            jobs:
              j1: { stage: a, image: alpine:3, script: [x] }
              j2: { stage: a, image: alpine:3, script: [x] }
              j3: { stage: a, image: alpine:3, script: [x] }
              j4: { stage: a, image: alpine:3, script: [x] }
              j5: { stage: a, image: alpine:3, script: [x] }
              last: { stage: b, image: alpine:3, script: [x] }
            """);

        Assert.Equal("waiting for j1, j2, j3 and 2 more", JobGate.Evaluate(run.Job("last"), run).Reason);
    }

    [Fact]
    public void Evaluate_Runs_WhenEveryNeedSucceeded()
    {
        var run = Plans.Run(Chain);
        Finish(run, "build", AttemptOutcome.Succeeded());

        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("deploy"), run));
    }

    [Theory]
    [InlineData(JobStatus.Failed, "needs 'build', which failed")]
    [InlineData(JobStatus.TimedOut, "needs 'build', which timed out")]
    public void Evaluate_SkipsOnSuccessJob_WhenANeedFailed(JobStatus outcome, string reason)
    {
        var run = Plans.Run(Chain);
        Finish(run, "build", outcome == JobStatus.Failed ? AttemptOutcome.Failed(1, "exit code 1") : AttemptOutcome.TimedOut(TimeSpan.FromSeconds(1)));

        Assert.Equal(new GateDecision(GateVerdict.Skip, reason), JobGate.Evaluate(run.Job("deploy"), run));
    }

    [Fact]
    public void Evaluate_SkipsOnSuccessJob_WhenANeedWasCanceled()
    {
        var run = Plans.Run(Chain);
        Finish(run, "build", AttemptOutcome.Canceled());

        Assert.Equal("needs 'build', which was canceled", JobGate.Evaluate(run.Job("deploy"), run).Reason);
    }

    [Fact]
    public void Evaluate_RunsOnFailureAndAlwaysJobs_WhenAFailureIsHiddenBehindASkippedJob()
    {
        var run = Plans.Run(Chain);
        Finish(run, "build", AttemptOutcome.Failed(1, "exit code 1"));
        run.Job("deploy").Skip(JobGate.Evaluate(run.Job("deploy"), run).Reason!, Now);

        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("rollback"), run));
        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("report"), run));
        Assert.Equal(new GateDecision(GateVerdict.Skip, "a job before 'deploy' failed"), JobGate.Evaluate(run.Job("approve"), run));
    }

    [Fact]
    public void Evaluate_SkipsOnFailureJob_WhenNothingFailed()
    {
        var run = Plans.Run(Chain);
        Finish(run, "build", AttemptOutcome.Succeeded());
        Finish(run, "deploy", AttemptOutcome.Succeeded());

        Assert.Equal(new GateDecision(GateVerdict.Skip, "when: on_failure, and nothing before it failed"), JobGate.Evaluate(run.Job("rollback"), run));
        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("report"), run));
        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("approve"), run));
    }

    [Fact]
    public void Evaluate_TreatsFailureAsSuccess_WhenNeedAllowsFailure()
    {
        var run = Plans.Run("""
            stages: [check, build]
            jobs:
              lint: { stage: check, image: alpine:3, allow_failure: true, script: [lint] }
              build: { stage: build, image: alpine:3, needs: [lint], script: [make] }
              cleanup: { stage: build, image: alpine:3, needs: [lint], when: on_failure, script: [undo] }
            """);
        Finish(run, "lint", AttemptOutcome.Failed(1, "exit code 1"));

        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("build"), run));
        Assert.Equal(GateVerdict.Skip, JobGate.Evaluate(run.Job("cleanup"), run).Verdict);
    }

    [Fact]
    public void Evaluate_SkipsJob_WhenAnExplicitNeedWasSkipped()
    {
        var run = Plans.Run(SkippedAtRuntime);
        Finish(run, "build", AttemptOutcome.Succeeded());
        run.Job("rollback").Skip("when: on_failure, and nothing before it failed", Now);

        Assert.Equal(new GateDecision(GateVerdict.Skip, "needs 'rollback', which is skipped"), JobGate.Evaluate(run.Job("explicit"), run));
    }

    [Fact]
    public void Evaluate_RunsJob_WhenAStageOrderNeedWasSkipped()
    {
        var run = Plans.Run(SkippedAtRuntime);
        Finish(run, "build", AttemptOutcome.Succeeded());
        run.Job("rollback").Skip("when: on_failure, and nothing before it failed", Now);

        Assert.True(run.Job("implicit").Planned.NeedsFromStages);
        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("implicit"), run));
    }

    [Fact]
    public void Evaluate_RunsAlwaysJob_WhenItsExplicitNeedWasSkipped()
    {
        var run = Plans.Run(SkippedAtRuntime);
        Finish(run, "build", AttemptOutcome.Succeeded());
        run.Job("rollback").Skip("when: on_failure, and nothing before it failed", Now);

        Assert.Equal(GateDecision.Run, JobGate.Evaluate(run.Job("always"), run));
    }

    [Fact]
    public void HasFailed_IsFalse_WhenFailureIsAllowed()
    {
        var run = Plans.Run("""
            stages: [a]
            jobs:
              allowed: { stage: a, image: alpine:3, allow_failure: true, script: [x] }
              strict: { stage: a, image: alpine:3, script: [x] }
            """);
        Finish(run, "allowed", AttemptOutcome.Failed(1, "exit code 1"));
        Finish(run, "strict", AttemptOutcome.Failed(1, "exit code 1"));

        Assert.False(JobGate.HasFailed(run.Job("allowed")));
        Assert.True(JobGate.HasFailed(run.Job("strict")));
    }

    private const string SkippedAtRuntime = """
        stages: [build, fix, next]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }
          rollback: { stage: fix, image: alpine:3, when: on_failure, script: [undo] }
          explicit: { stage: next, image: alpine:3, needs: [rollback], script: [go] }
          always: { stage: next, image: alpine:3, needs: [rollback], when: always, script: [go] }
          implicit: { stage: next, image: alpine:3, script: [go] }
        """;

    private static void Finish(Run run, string id, AttemptOutcome outcome)
    {
        var job = run.Job(id);
        job.Start(Now);
        job.Finish(outcome, Now);
    }
}
