using Pipeliner.Core.Model;

namespace Pipeliner.Core.Runs;

public enum GateVerdict
{
    /// <summary>Some need has not finished.</summary>
    Wait,
    Run,
    Skip,
}

public sealed record GateDecision(GateVerdict Verdict, string? Reason)
{
    public static GateDecision Run { get; } = new(GateVerdict.Run, null);
}

/// <summary>
/// Decides, once a job's needs are known, whether it runs: the runtime half of <c>when</c> and of skip
/// propagation (the plan-time half is in the planner).
/// </summary>
public static class JobGate
{
    public static GateDecision Evaluate(RunJob job, Run run)
    {
        var needs = job.Planned.Needs.Select(run.Job).ToList();
        var waitingFor = needs.Where(n => !n.Status.IsFinished()).Select(n => n.Id).ToList();
        if (waitingFor.Count > 0)
            return new GateDecision(GateVerdict.Wait, $"waiting for {Describe(waitingFor)}");

        var visited = new HashSet<string>(StringComparer.Ordinal);
        var failedNeed = needs.FirstOrDefault(n => HasFailed(n) || UpstreamFailed(n, run, visited));
        var when = job.Planned.Spec.When;
        switch (when)
        {
            case WhenPolicy.Always:
                return GateDecision.Run;
            case WhenPolicy.OnFailure:
                return failedNeed is not null
                    ? GateDecision.Run
                    : new GateDecision(GateVerdict.Skip, "when: on_failure, and nothing before it failed");
        }

        if (failedNeed is not null)
        {
            return new GateDecision(GateVerdict.Skip, HasFailed(failedNeed)
                ? $"needs '{failedNeed.Id}', which {Verb(failedNeed.Status)}"
                : $"a job before '{failedNeed.Id}' failed");
        }

        if (!job.Planned.NeedsFromStages && needs.FirstOrDefault(n => n.Status == JobStatus.Skipped) is { } skipped)
            return new GateDecision(GateVerdict.Skip, $"needs '{skipped.Id}', which is skipped");
        return GateDecision.Run;
    }

    /// <summary>Failed in a way that stops on_success jobs after it (allow_failure does not).</summary>
    public static bool HasFailed(RunJob job) =>
        job.Status is JobStatus.Failed or JobStatus.TimedOut or JobStatus.Canceled && !job.FailureAllowed;

    /// <summary>A skipped job hides a failure before it: on_failure jobs after it must still see that failure.</summary>
    private static bool UpstreamFailed(RunJob job, Run run, HashSet<string> visited) =>
        job.Status == JobStatus.Skipped && visited.Add(job.Id) &&
        job.Planned.Needs.Select(run.Job).Any(n => HasFailed(n) || UpstreamFailed(n, run, visited));

    private static string Verb(JobStatus status) => status switch
    {
        JobStatus.TimedOut => "timed out",
        JobStatus.Canceled => "was canceled",
        _ => "failed",
    };

    private static string Describe(IReadOnlyList<string> ids) => ids.Count <= 3
        ? string.Join(", ", ids)
        : $"{string.Join(", ", ids.Take(3))} and {ids.Count - 3} more";
}
