using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Environments;

namespace Pipeliner.Server.Tests.Environments;

/// <summary>Each rule of a configured environment decides about an automatic job the moment it would become ready.</summary>
public class EnvironmentGateAdmitTests
{
    private static readonly RunFacts OnMain = new(1, 1, "main", null, false, new HashSet<string>());

    /// <summary>deploy-dit of the delivery pipeline: an automatic job with an environment.</summary>
    private static RunJob DeployJob()
    {
        var context = new TriggerContext { Event = EventKind.Push, Branch = "main", Project = "p", RunId = "1", CommitSha = new string('a', 40) };
        var plan = PipelinePlanner.Plan(PipelineLoader.Load(EnvironmentApi.DeliveryPipeline).Pipeline!, context);
        return new Run("1", plan, DateTimeOffset.UnixEpoch).Job("deploy-dit");
    }

    private static EnvironmentRules Dit(Role role = Role.Developer, int approvals = 0, string[]? branches = null, string[]? requires = null) =>
        new("dit", role, requires ?? [], approvals, branches ?? [], [], Configured: true);

    [Fact]
    public void Admit_LetsEveryRunDeploy_WhenNobodyConfiguredTheEnvironment()
    {
        Assert.Equal(Admission.Admit, EnvironmentGate.Admit(DeployJob(), OnMain, rules: null, triggerRole: null));
    }

    [Fact]
    public void Admit_LetsAPushDeploy_WhenTheEnvironmentRequiresOnlyADeveloper()
    {
        Assert.Equal(Admission.Admit, EnvironmentGate.Admit(DeployJob(), OnMain, Dit(), Role.Developer));
    }

    [Theory]
    [InlineData(Role.ReleaseManager, 0, "rule 'requiredRole: release-manager' of dit: a run started by a developer's push or trigger")]
    [InlineData(Role.Developer, 1, "rule 'approvals: 1' of dit: someone with role developer or above asks for it to start, then 1 other(s) approve")]
    public void Admit_HoldsTheJobForAPerson_WhenTheRunLacksTheRoleOrApprovalsAreNeeded(Role role, int approvals, string reason)
    {
        var admission = EnvironmentGate.Admit(DeployJob(), OnMain, Dit(role, approvals), Role.Developer);

        Assert.Equal(AdmissionVerdict.Hold, admission.Verdict);
        Assert.StartsWith($"waiting for approval: {reason}", admission.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Admit_HoldsAForkForAPerson_WhateverRoleTheEnvironmentRequires()
    {
        var admission = EnvironmentGate.Admit(DeployJob(), OnMain with { PullRequest = true }, Dit(), triggerRole: null);

        Assert.Equal(AdmissionVerdict.Hold, admission.Verdict);
        Assert.Contains("a pull request from a fork does not deploy there by itself", admission.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Admit_StartsTheJob_WhenAPersonWithTheRoleStartedIt()
    {
        var job = DeployJob();
        job.RequestStart("alice", 0);

        Assert.Equal(Admission.Admit, EnvironmentGate.Admit(job, OnMain, Dit(Role.Admin), Role.Developer));
    }

    [Fact]
    public void Admit_RefusesNamingTheRule_WhenTheBranchIsNotAllowedEvenAfterAPersonStartedIt()
    {
        var job = DeployJob();
        job.RequestStart("alice", 0);

        var admission = EnvironmentGate.Admit(job, OnMain with { Branch = "feature/x" }, Dit(branches: ["main", "release/*"]), Role.Developer);

        Assert.Equal(Admission.Refuse("rule 'branches: main, release/*' refused: run 1 is for branch 'feature/x', which dit does not accept"), admission);
    }

    [Fact]
    public void Admit_RefusesNamingTheRule_WhenTheRequiredEnvironmentHasNoDeploymentOfTheRun()
    {
        var admission = EnvironmentGate.Admit(DeployJob(), OnMain, Dit(requires: ["qa"]), Role.Developer);

        Assert.Equal(Admission.Refuse("rule 'requires: qa' refused: qa has no successful deployment of run 1"), admission);
    }
}
