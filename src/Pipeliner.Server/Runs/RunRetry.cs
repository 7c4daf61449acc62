using Pipeliner.Core.Runs;

namespace Pipeliner.Server.Runs;

/// <summary>
/// A person retries a run: the named jobs, every job (all), or else every failed, timed-out or canceled one; and the jobs after them
/// that were skipped or canceled because of them, go back to the queue.
/// </summary>
public static class RunRetry
{
    /// <returns>An empty string when done, otherwise why not.</returns>
    /// <param name="all">Every job the plan runs, whatever its status.</param>
    public static string Apply(Run run, IReadOnlyList<string>? jobs, bool all = false)
    {
        if (run.Status == RunStatus.Invalid) return "an invalid run cannot be retried: fix the pipeline and push again";
        if (all && jobs is { Count: > 0 }) return "name jobs or ask for all, not both";
        var unknown = jobs?.Where(id => !run.TryGetJob(id, out _)).ToList() ?? [];
        if (unknown.Count > 0) return $"run {run.Id} has no job {string.Join(", ", unknown.Select(u => $"'{u}'"))}";

        var selected = all ? run.Jobs.Where(j => j.Planned.Decision != Core.Planning.JobDecision.Skip).ToList()
            : jobs is { Count: > 0 } ? jobs.Distinct(StringComparer.Ordinal).Select(run.Job).ToList()
            : run.Jobs.Where(j => j.Status is JobStatus.Failed or JobStatus.TimedOut or JobStatus.Canceled).ToList();
        var notFinished = selected.FirstOrDefault(j => !j.Status.IsFinished());
        if (notFinished is not null) return $"job '{notFinished.Id}' is {notFinished.Status.ToName()}; only finished jobs can be retried";
        if (selected.Count == 0) return "nothing to retry: no job failed";

        var retried = selected.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var job in run.Jobs)
        {
            var downstream = job.Planned.Needs.Any(retried.Contains) && job.Status is JobStatus.Skipped or JobStatus.Canceled;
            if (retried.Contains(job.Id) || downstream) retried.Add(job.Id);
        }

        run.Reopen();
        foreach (var job in run.Jobs.Where(j => retried.Contains(j.Id) && j.Planned.Decision != Core.Planning.JobDecision.Skip)) job.Retry();
        return "";
    }
}
