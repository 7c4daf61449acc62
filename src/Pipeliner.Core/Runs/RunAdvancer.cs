namespace Pipeliner.Core.Runs;

/// <summary>
/// Moves a run's waiting jobs on after any change: each queued or pending job passes its gate and is marked
/// pending (with why), skipped, or returned as ready. Manual jobs (and requested starts) are ready only once approved. Jobs are visited in
/// plan order, so a skip reaches the jobs after it in the same pass. Shared by the local executor and the server.
/// </summary>
public static class RunAdvancer
{
    public const string ApprovalReason = "waiting for approval";

    public static IReadOnlyList<RunJob> Advance(Run run, DateTimeOffset now, Action<RunJob>? onSkipped = null)
    {
        var ready = new List<RunJob>();
        foreach (var job in run.Jobs.Where(j => j.Status is JobStatus.Queued or JobStatus.Pending))
        {
            var gate = JobGate.Evaluate(job, run);
            switch (gate.Verdict)
            {
                case GateVerdict.Wait:
                    job.MarkPending(gate.Reason!);
                    break;
                case GateVerdict.Skip:
                    job.Skip(gate.Reason!, now);
                    onSkipped?.Invoke(job);
                    break;
                case GateVerdict.Run when job.AwaitsApproval:
                    job.MarkPending(job.RequestedBy is null
                        ? ApprovalReason
                        : $"{ApprovalReason}: {job.Approvals.Count} of {job.RequiredApprovals}, asked for by {job.RequestedBy}");
                    break;
                default:
                    ready.Add(job);
                    break;
            }
        }

        run.Refresh(now);
        return ready;
    }
}
