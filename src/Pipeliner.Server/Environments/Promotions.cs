using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Environments;

/// <summary>
/// Starts deployment jobs under their environment's rules: promotion of a run to an environment, an approval of a
/// job, a redeploy. Rules and deployments are read first; the decision and the move are made on the run aggregate under
/// the run's lock. Every start and every refusal is audited.
/// </summary>
public sealed class Promotions(PipelinerDbContext db, RunCoordinator coordinator, AuditTrail audit)
{
    /// <summary>What a decision on the run came to: refused by a rule, another problem, or jobs asked to start.</summary>
    private sealed record Step(Refusal? Refusal, ProblemHttpResult? Problem, IReadOnlyList<string> Jobs, int RequiredApprovals, string Summary)
    {
        public static Step Refused(Refusal refusal) => new(refusal, null, [], 0, "");

        public static Step Failed(ProblemHttpResult problem) => new(null, problem, [], 0, "");
    }

    private sealed record RunContext(string Project, RunFacts Facts, IReadOnlyDictionary<string, EnvironmentRules> Rules)
    {
        public EnvironmentRules RulesOf(string environment) => Rules.GetValueOrDefault(environment) ?? EnvironmentRules.Default(environment);
    }

    public async Task<Results<Accepted<PromotionResponse>, ValidationProblem, ProblemHttpResult>> PromoteAsync(
        long runId, string environment, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await ContextAsync(runId, cancellationToken) is not { } context) return await MissingRunAsync(runId, cancellationToken);
        if (await Retention.ExpiredParts.NoMoreJobsAsync(db, runId, cancellationToken) is { } expired) return expired;
        var (actor, role) = Who(user);
        var rules = context.RulesOf(environment);
        var step = await coordinator.ChangeAsync(runId, change => Promote(change.Run, context.Facts, rules, actor, role), cancellationToken);
        if (step is null) return await MissingRunAsync(runId, cancellationToken);
        if (await RefusedAsync(step, context.Project, $"run {runId}", cancellationToken) is { } refused) return refused;

        var status = step.RequiredApprovals == 0 ? EnvironmentContracts.Started : EnvironmentContracts.WaitingForApproval;
        await audit.RecordAsync(new AuditEvent("run.promote", context.Project, $"run {runId}", $"to {environment}: {step.Summary}"), CancellationToken.None);
        return TypedResults.Accepted($"/api/runs/{runId}", new PromotionResponse(runId, environment, step.Jobs, status, step.RequiredApprovals));
    }

    /// <summary>
    /// What the rules say about promoting the run to each of <paramref name="environments"/> (environment and the jobs it
    /// would start) for this user, checked as a promotion checks them; nothing changes. Null when the run has no plan.
    /// </summary>
    public async Task<List<PromotionOptionResponse>?> OptionsAsync(
        long runId, IReadOnlyList<(string Environment, IReadOnlyList<string> Jobs)> environments, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await ContextAsync(runId, cancellationToken) is not { } context) return null;
        var (actor, role) = Who(user);
        return environments.Select(target =>
        {
            var rules = context.RulesOf(target.Environment);
            var refusal = rules.Check(actor, role, context.Facts);
            return new PromotionOptionResponse(target.Environment, target.Jobs, refusal is null, refusal?.Rule, refusal?.Reason, rules.Approvals);
        }).ToList();
    }

    /// <summary>
    /// An approval of one job. A job with an environment goes through its rules: without required approvals the approval
    /// starts it; otherwise it counts as one approval of a requested start, never by the requester.
    /// </summary>
    public async Task<Results<Accepted, ProblemHttpResult>> ApproveAsync(long runId, string jobId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await ContextAsync(runId, cancellationToken) is not { } context) return await MissingRunAsync(runId, cancellationToken);
        if (await Retention.ExpiredParts.NoMoreJobsAsync(db, runId, cancellationToken) is { } expired) return expired;
        var (actor, role) = Who(user);
        var step = await coordinator.ChangeAsync(runId, change => Approve(change, jobId, context, actor, role), cancellationToken);
        if (step is null) return await MissingRunAsync(runId, cancellationToken);
        var target = $"job {jobId} of run {runId}";
        if (await RefusedAsync(step, context.Project, target, cancellationToken) is { } refused) return refused;
        await audit.RecordAsync(new AuditEvent("job.approve", context.Project, target, step.Summary.Length == 0 ? null : step.Summary), CancellationToken.None);
        return TypedResults.Accepted($"/api/runs/{runId}");
    }

    public async Task<Results<Accepted<PromotionResponse>, ValidationProblem, ProblemHttpResult>> RedeployAsync(
        string project, string environment, long deploymentId, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var deployment = await db.Deployments.AsNoTracking()
            .Where(d => d.Id == deploymentId && d.Environment == environment)
            .Join(db.Projects.Where(p => p.Name == project), d => d.ProjectId, p => p.Id, (d, _) => d)
            .FirstOrDefaultAsync(cancellationToken);
        if (deployment is null) return Problems.NotFound($"project '{project}' has no deployment {deploymentId} to {environment}");
        if (await ContextAsync(deployment.RunId, cancellationToken) is not { } context) return await MissingRunAsync(deployment.RunId, cancellationToken);
        if (await Retention.ExpiredParts.NoMoreJobsAsync(db, deployment.RunId, cancellationToken) is { } expired) return expired;

        var (actor, role) = Who(user);
        var rules = context.RulesOf(environment);
        var step = await coordinator.ChangeAsync(deployment.RunId, change => Redeploy(change.Run, deployment.JobId, context.Facts, rules, actor, role),
            cancellationToken);
        if (step is null) return await MissingRunAsync(deployment.RunId, cancellationToken);
        var target = $"deployment {deploymentId} of {environment}";
        if (await RefusedAsync(step, context.Project, target, cancellationToken) is { } refused) return refused;

        await audit.RecordAsync(new AuditEvent("environment.redeploy", context.Project, target,
            $"version {deployment.Version}, commit {deployment.CommitSha[..Math.Min(12, deployment.CommitSha.Length)]}: job {deployment.JobId} " +
            $"of run {deployment.RunId} again; {step.Summary}"), CancellationToken.None);
        var status = step.RequiredApprovals == 0 ? EnvironmentContracts.Started : EnvironmentContracts.WaitingForApproval;
        return TypedResults.Accepted($"/api/runs/{deployment.RunId}", new PromotionResponse(deployment.RunId, environment, step.Jobs, status, step.RequiredApprovals));
    }

    private static Step Promote(Run run, RunFacts facts, EnvironmentRules rules, string actor, Role role)
    {
        if (rules.CheckRole(actor, role) is { } forbidden) return Step.Refused(forbidden);
        var jobs = run.Jobs.Where(j => j.StartsByPerson && j.Planned.Spec.Environment == rules.Environment).ToList();
        // A job the environment's rules hold for a person counts as manual (the API shows it so).
        if (jobs.Count == 0)
            return Step.Refused(Refusal.Conflict(EnvironmentRules.ManualRule, $"run {facts.Number} has no manual job for environment {rules.Environment}"));
        if ((rules.CheckRef(facts) ?? rules.CheckRequires(facts)) is { } refusal) return Step.Refused(refusal);

        var open = jobs.Where(j => IsOpen(j) && j.RequestedBy is null).ToList();
        if (open.Count == 0) return Step.Refused(WhyNotOpen(jobs, facts, rules));
        foreach (var job in open) job.RequestStart(actor, rules.Approvals);
        return new Step(null, null, open.Select(j => j.Id).ToList(), rules.Approvals, Started(open, rules.Approvals));
    }

    private static Step Approve(RunChange change, string jobId, RunContext context, string actor, Role role)
    {
        var run = change.Run;
        if (!run.TryGetJob(jobId, out var job)) return Step.Failed(Problems.NotFound($"run {context.Facts.Id} has no job '{jobId}'"));
        if (job.Planned.Spec.Environment is not { } environment) return ApproveManualJob(job, actor, role);

        if (!job.StartsByPerson && job.RequestedBy is null) return Step.Failed(Problems.Conflict($"job '{job.Id}' is not a manual job"));
        var rules = context.RulesOf(environment);
        if (rules.Check(actor, role, context.Facts) is { } refusal) return Step.Refused(refusal);
        if (!IsOpen(job)) return Step.Failed(Problems.Conflict(NotWaiting(job)));
        if (job.RequestedBy is null)
        {
            if (rules.Approvals > 0)
            {
                return Step.Refused(Refusal.Conflict(rules.ApprovalsRule,
                    $"nobody asked for '{job.Id}' to deploy to {environment} yet; promote run {context.Facts.Number} first, then others approve"));
            }

            job.RequestStart(actor, 0);
            return new Step(null, null, [job.Id], 0, $"{environment}: starts");
        }

        var rule = $"approvals: {job.RequiredApprovals}";
        if (job.RequestedBy == actor)
            return Step.Refused(Refusal.Forbidden(rule, $"approval by the requester is refused: {actor} asked for this deployment; another person approves"));
        if (job.Approvals.Any(a => a.Approver == actor))
            return Step.Failed(Problems.Conflict($"job '{job.Id}' was approved already by {actor}"));
        var started = job.AddApproval(actor, change.Now);
        return new Step(null, null, [job.Id], job.RequiredApprovals,
            $"{environment}: approval {job.Approvals.Count} of {job.RequiredApprovals}{(started ? "; starts" : "")}");
    }

    /// <summary>A manual job without an environment: one release manager's approval starts it.</summary>
    private static Step ApproveManualJob(RunJob job, string actor, Role role)
    {
        if (role < Role.ReleaseManager) return Step.Failed(Problems.Problem(StatusCodes.Status403Forbidden, "Forbidden", "approving a manual job needs a release-manager"));
        if (!job.IsManual) return Step.Failed(Problems.Conflict($"job '{job.Id}' is not a manual job"));
        if (job.ApprovedBy is not null) return Step.Failed(Problems.Conflict($"job '{job.Id}' was approved already by {job.ApprovedBy}"));
        if (job.Status.IsFinished() || job.Status == JobStatus.Running) return Step.Failed(Problems.Conflict($"job '{job.Id}' is {job.Status.ToName()}"));
        job.Approve(actor);
        return new Step(null, null, [job.Id], 0, "");
    }

    private static Step Redeploy(Run run, string jobId, RunFacts facts, EnvironmentRules rules, string actor, Role role)
    {
        if (rules.Check(actor, role, facts) is { } refusal) return Step.Refused(refusal);
        if (!run.TryGetJob(jobId, out var job)) return Step.Failed(Problems.Conflict($"run {facts.Id} has no job '{jobId}' any more"));
        if (!job.Status.IsFinished())
        {
            return Step.Refused(Refusal.Conflict("redeploy",
                $"job '{job.Id}' of run {facts.Number} is {job.Status.ToName()}; it can be deployed again once it has finished"));
        }

        run.Reopen();
        job.Retry();
        job.RequestStart(actor, rules.Approvals);
        return new Step(null, null, [job.Id], rules.Approvals, Started([job], rules.Approvals));
    }

    /// <summary>A job a person may still ask to start: waiting for people, not running, not finished.</summary>
    private static bool IsOpen(RunJob job) => job.AwaitsApproval && !job.Status.IsFinished() && job.Status != JobStatus.Running;

    private static Refusal WhyNotOpen(IReadOnlyList<RunJob> jobs, RunFacts facts, EnvironmentRules rules)
    {
        if (jobs.FirstOrDefault(j => IsOpen(j) && j.RequestedBy is not null) is { } waiting)
        {
            return Refusal.Conflict($"approvals: {waiting.RequiredApprovals}",
                $"{waiting.RequestedBy} asked already for run {facts.Number} to deploy to {rules.Environment}; it waits for " +
                $"{waiting.RequiredApprovals - waiting.Approvals.Count} more approval(s) of '{waiting.Id}'");
        }

        return Refusal.Conflict(EnvironmentRules.ManualRule, $"run {facts.Number} deploys to {rules.Environment} once: {NotWaiting(jobs[0])}");
    }

    private static string NotWaiting(RunJob job) => job.Status.IsFinished() || job.Status == JobStatus.Running
        ? $"job '{job.Id}' is {job.Status.ToName()}{(job.Status == JobStatus.Skipped && job.Reason is { } why ? $" ({why})" : "")}; redeploy a finished deployment from its environment"
        : $"job '{job.Id}' was started already by {job.RequestedBy ?? job.ApprovedBy}";

    private static string Started(IReadOnlyList<RunJob> jobs, int approvals) =>
        $"{string.Join(", ", jobs.Select(j => j.Id))} {(approvals == 0 ? "started" : $"waits for {approvals} approval(s)")}";

    private async Task<ProblemHttpResult?> RefusedAsync(Step step, string project, string target, CancellationToken cancellationToken)
    {
        if (step.Problem is { } problem) return problem;
        if (step.Refusal is not { } refusal) return null;
        await audit.RecordAsync(new AuditEvent("promotion.refuse", project, target, refusal.Detail), cancellationToken);
        return TypedResults.Problem(detail: refusal.Detail, statusCode: refusal.Status, title: "Deployment refused",
            extensions: new Dictionary<string, object?> { ["rule"] = refusal.Rule });
    }

    private async Task<RunContext?> ContextAsync(long runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId && r.PlanJson != null)
            .Select(r => new { r.Id, r.ProjectId, Project = r.Project!.Name, r.Number, r.Branch, r.Tag, r.Event })
            .FirstOrDefaultAsync(cancellationToken);
        if (run is null) return null;
        var deployed = await db.Deployments.AsNoTracking().Where(d => d.RunId == runId).Select(d => d.Environment).Distinct().ToListAsync(cancellationToken);
        var rules = await db.Environments.AsNoTracking().Where(e => e.ProjectId == run.ProjectId).ToListAsync(cancellationToken);
        return new RunContext(run.Project, RunFacts.Of(run.Id, run.Number, run.Branch, run.Tag, run.Event, deployed),
            rules.ToDictionary(e => e.Name, EnvironmentRules.From, StringComparer.Ordinal));
    }

    private async Task<ProblemHttpResult> MissingRunAsync(long runId, CancellationToken cancellationToken) =>
        await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken)
            ? Problems.Conflict($"run {runId} is invalid: it has no jobs to deploy")
            : Problems.NotFound($"no run {runId}");

    private static (string Actor, Role Role) Who(ClaimsPrincipal user) =>
        (AuditTrail.ActorOf(user), Roles.TryParse(user.FindFirstValue(ClaimTypes.Role), out var role) ? role : Role.Viewer);
}
