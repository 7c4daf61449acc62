using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Runs;

/// <summary>The admission a job passes last before it becomes ready (the server's environment rules): skip, hold or admit.</summary>
public sealed class RunAdmissionTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private const string Pipeline = """
        stages: [deploy, verify]
        jobs:
          deploy:
            stage: deploy
            image: alpine:3
            environment: prod
            script: [deploy]
          verify:
            stage: verify
            image: alpine:3
            needs: [deploy]
            script: [verify]

        """;

    [Fact]
    public void Advance_SkipsTheJobAndThoseAfterItInOnePass_WhenTheAdmissionRefusesIt()
    {
        var run = Plans.Run(Pipeline);

        var ready = RunAdvancer.Advance(run, Now, admit: job => job.Id == "deploy" ? Admission.Refuse("rule 'branches: main' refused") : Admission.Admit);

        Assert.Empty(ready);
        Assert.Equal((JobStatus.Skipped, "rule 'branches: main' refused"), (run.Job("deploy").Status, run.Job("deploy").Reason));
        Assert.Equal(JobStatus.Skipped, run.Job("verify").Status);
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public void Advance_KeepsAHeldJobWaitingForAPerson_UntilSomeoneStartsIt()
    {
        var run = Plans.Run(Pipeline);
        Admission Hold(RunJob job) => job.ApprovedBy is null ? Admission.Hold("waiting for approval: rule 'requiredRole: admin'") : Admission.Admit;

        Assert.Empty(RunAdvancer.Advance(run, Now, admit: Hold));
        Assert.Empty(RunAdvancer.Advance(run, Now, admit: Hold));

        var deploy = run.Job("deploy");
        Assert.Equal((JobStatus.Pending, "waiting for approval: rule 'requiredRole: admin'"), (deploy.Status, deploy.Reason));
        Assert.True(deploy.AwaitsApproval && deploy.StartsByPerson);
        Assert.Equal(RunStatus.Waiting, run.Status);
        deploy.RequestStart("alice", 0);
        Assert.Equal([deploy], RunAdvancer.Advance(run, Now, admit: Hold));
    }

    [Fact]
    public void Retry_HoldsTheJobAgainOnlyIfTheRulesSaySo_WhenAPersonHadStartedIt()
    {
        var run = Plans.Run(Pipeline);
        var deploy = run.Job("deploy");
        RunAdvancer.Advance(run, Now, admit: _ => Admission.Hold("waiting for approval: held"));
        deploy.RequestStart("alice", 0);
        deploy.Start(Now);
        deploy.Finish(AttemptOutcome.Succeeded(), Now);

        deploy.Retry();

        Assert.Equal((null, null, null), (deploy.HoldReason, deploy.RequestedBy, deploy.ApprovedBy));
        Assert.False(deploy.AwaitsApproval);
        Assert.Equal([deploy], RunAdvancer.Advance(run, Now, admit: _ => Admission.Admit));
    }
}
