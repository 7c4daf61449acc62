using Pipeliner.Core.Planning;

namespace Pipeliner.Core.Reporting;

/// <summary>The public JSON shape of a plan (<c>pipeliner plan --json</c>): a contract, keep names stable.</summary>
public sealed record PlanReport(bool Triggered, string? Reason, IReadOnlyList<PlanReportJob> Jobs)
{
    public static PlanReport From(ExecutionPlan plan) => new(
        plan.Triggered,
        plan.Reason,
        plan.Jobs.Select(j => new PlanReportJob(j.Id, j.Stage, DecisionName(j.Decision), j.Reason, j.Needs)).ToList());

    public static string DecisionName(JobDecision decision) => decision switch
    {
        JobDecision.Run => "run",
        JobDecision.Skip => "skip",
        JobDecision.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(decision)),
    };
}

public sealed record PlanReportJob(string Id, string Stage, string Decision, string? Reason, IReadOnlyList<string> Needs);
