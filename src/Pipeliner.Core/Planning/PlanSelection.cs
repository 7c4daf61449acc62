namespace Pipeliner.Core.Planning;

/// <summary>Narrows a plan to some jobs (by id or job name) and everything they need, directly or not.</summary>
public static class PlanSelection
{
    public const string NotSelectedReason = "not selected";

    /// <returns>The narrowed plan, or null with the unknown names in <paramref name="unknown"/>.</returns>
    public static ExecutionPlan? Select(ExecutionPlan plan, IReadOnlyCollection<string> names, out IReadOnlyList<string> unknown)
    {
        unknown = names.Where(n => !plan.Jobs.Any(j => j.Id == n || j.Spec.Name == n)).ToList();
        if (unknown.Count > 0) return null;

        var byId = plan.Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal);
        var selected = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(plan.Jobs.Where(j => names.Contains(j.Id) || names.Contains(j.Spec.Name)).Select(j => j.Id));
        while (pending.TryPop(out var id))
        {
            if (!selected.Add(id)) continue;
            foreach (var need in byId[id].Needs) pending.Push(need);
        }

        var jobs = plan.Jobs.Select(j => selected.Contains(j.Id) || j.Decision == JobDecision.Skip
            ? j
            : j with { Decision = JobDecision.Skip, Reason = $"{NotSelectedReason} (--job)" }).ToList();
        return plan with { Jobs = jobs };
    }
}
