using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Environments;

/// <summary>
/// An environment's rules applied to every job that targets it — automatic or manual, first run, retry, redeploy or
/// promotion — at the moment the job would become ready, so before any agent can claim it and receive the
/// environment's secrets. An environment nobody configured has no rules for automatic jobs. In a configured one, a
/// branch, tag or requires rule that fails skips the job, naming the rule; an automatic job whose run lacks the
/// required role, or that needs approvals, waits like a manual deployment until a person with the role starts it.
/// </summary>
public sealed class EnvironmentGate(PipelinerDbContext db)
{
    /// <summary>
    /// Whom a run acts as when its jobs deploy without a person: a push, tag, schedule or manual trigger as a developer
    /// (anyone who may push or trigger); a pull request from a fork as nobody.
    /// </summary>
    public static Role? TriggerRole(RunEntity run) => run.FromFork ? null : Role.Developer;

    /// <summary>The admission of <paramref name="run"/>'s jobs; null when none of its unfinished jobs has an environment.</summary>
    /// <param name="entity">The run as stored, with the deployments the current change adds.</param>
    public async Task<JobAdmission?> ForRunAsync(RunEntity entity, Run run, CancellationToken cancellationToken)
    {
        if (!run.Jobs.Any(j => j.Planned.Spec.Environment is not null && !j.Status.IsFinished())) return null;
        var rules = (await db.Environments.AsNoTracking().Where(e => e.ProjectId == entity.ProjectId).ToListAsync(cancellationToken))
            .ToDictionary(e => e.Name, EnvironmentRules.From, StringComparer.Ordinal);
        var deployed = await db.Deployments.AsNoTracking().Where(d => d.RunId == entity.Id).Select(d => d.Environment).ToListAsync(cancellationToken);
        var facts = RunFacts.Of(entity.Id, entity.Number, entity.Branch, entity.Tag, entity.Event,
            deployed.Concat(entity.Deployments.Select(d => d.Environment)));
        var role = TriggerRole(entity);
        return job => Admit(job, facts, job.Planned.Spec.Environment is { } environment ? rules.GetValueOrDefault(environment) : null, role);
    }

    /// <param name="rules">The rules of the job's environment; null when nobody configured them.</param>
    /// <param name="triggerRole">Whom the run acts as (<see cref="TriggerRole"/>).</param>
    public static Admission Admit(RunJob job, RunFacts facts, EnvironmentRules? rules, Role? triggerRole)
    {
        if (rules is null || job.Planned.Spec.Environment is null) return Admission.Admit;
        if ((rules.CheckRef(facts) ?? rules.CheckRequires(facts)) is { } refusal) return Admission.Refuse(refusal.Detail);
        // A person started it (promotion, approval, redeploy), who passed the role and approval rules then.
        if (job.ApprovedBy is not null) return Admission.Admit;

        var environment = rules.Environment;
        var role = rules.RequiredRole.ToName();
        if (triggerRole is null || triggerRole < rules.RequiredRole)
        {
            var run = triggerRole is { } acting ? $"a run started by a {acting.ToName()}'s push or trigger" : "a pull request from a fork";
            return Admission.Hold($"{RunAdvancer.ApprovalReason}: rule 'requiredRole: {role}' of {environment}: " +
                                  $"{run} does not deploy there by itself; someone with role {role} or above starts it");
        }

        return rules.Approvals > 0
            ? Admission.Hold($"{RunAdvancer.ApprovalReason}: rule '{rules.ApprovalsRule}' of {environment}: " +
                             $"someone with role {role} or above asks for it to start, then {rules.Approvals} other(s) approve")
            : Admission.Admit;
    }
}
