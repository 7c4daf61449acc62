using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Runs;

/// <summary>Requested starts with approvals by others: the guarded half of environment promotion.</summary>
public sealed class RunJobApprovalTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    [Fact]
    public void RequestStart_ApprovesAtOnce_WhenNoApprovalIsRequired()
    {
        var job = DeployJob();

        job.RequestStart("alice", 0);

        Assert.Equal(("alice", "alice"), (job.RequestedBy, job.ApprovedBy));
        Assert.False(job.AwaitsApproval);
    }

    [Fact]
    public void AddApproval_ApprovesTheJob_WhenTheLastRequiredApprovalComes()
    {
        var job = DeployJob();
        job.RequestStart("alice", 2);

        Assert.False(job.AddApproval("bob", Now));
        Assert.True(job.AwaitsApproval);
        Assert.True(job.AddApproval("carol", Now));

        Assert.Equal("carol", job.ApprovedBy);
        Assert.Equal(["bob", "carol"], job.Approvals.Select(a => a.Approver));
        Assert.False(job.AwaitsApproval);
    }

    [Fact]
    public void AddApproval_Throws_WhenTheRequesterApproves()
    {
        var job = DeployJob();
        job.RequestStart("alice", 1);

        var error = Assert.Throws<InvalidTransitionException>(() => job.AddApproval("alice", Now));

        Assert.Contains("approval by the requester is refused", error.Message, StringComparison.Ordinal);
        Assert.Empty(job.Approvals);
        Assert.Null(job.ApprovedBy);
    }

    [Fact]
    public void AddApproval_Throws_WhenTheSamePersonApprovesTwice()
    {
        var job = DeployJob();
        job.RequestStart("alice", 2);
        job.AddApproval("bob", Now);

        Assert.Throws<InvalidTransitionException>(() => job.AddApproval("bob", Now));
        Assert.Single(job.Approvals);
    }

    [Fact]
    public void AddApproval_Throws_WhenNobodyRequestedTheStart()
    {
        Assert.Throws<InvalidTransitionException>(() => DeployJob().AddApproval("bob", Now));
    }

    [Fact]
    public void RequestStart_Throws_WhenTheJobWasRequestedOrIsRunning()
    {
        var job = DeployJob();
        job.RequestStart("alice", 1);
        Assert.Throws<InvalidTransitionException>(() => job.RequestStart("bob", 1));

        var running = DeployJob();
        running.RequestStart("alice", 0);
        running.Start(Now);
        Assert.Throws<InvalidTransitionException>(() => running.RequestStart("bob", 0));
    }

    [Fact]
    public void Retry_ResetsApprovalsToANewRound_WhenADeploymentJobRunsAgain()
    {
        var job = DeployJob();
        job.RequestStart("alice", 1);
        job.AddApproval("bob", Now);
        job.Start(Now);
        job.Finish(AttemptOutcome.Succeeded(), Now);

        job.Retry();

        Assert.Equal((null, null, 1), (job.RequestedBy, job.ApprovedBy, job.ApprovalRound));
        Assert.Empty(job.Approvals);
        Assert.True(job.AwaitsApproval);
    }

    [Fact]
    public void Advance_KeepsARequestedJobWaiting_UntilItsApprovalsAreGiven()
    {
        var run = Plans.Run(Pipeline);
        var job = run.Job("deploy-qa");
        RunAdvancer.Advance(run, Now);
        job.RequestStart("alice", 1);

        Assert.Empty(RunAdvancer.Advance(run, Now));
        Assert.Equal("waiting for approval: 0 of 1, asked for by alice", job.Reason);
        // A deployment waiting for approvals holds no run open, as a manual job does not.
        Assert.Equal((RunStatus.Succeeded, true), (run.Status, run.ManualJobsAvailable));

        job.AddApproval("bob", Now);
        Assert.Equal(["deploy-qa"], RunAdvancer.Advance(run, Now).Select(j => j.Id));
        Assert.Equal((RunStatus.Queued, null), (run.Status, run.FinishedAt));
    }

    private const string Pipeline = """
        stages: [qa]
        jobs:
          deploy-qa: { stage: qa, image: alpine:3, when: manual, environment: qa, script: [ship] }
        """;

    private static RunJob DeployJob() => Plans.Run(Pipeline).Job("deploy-qa");
}
