namespace Pipeliner.Core.Runs;

/// <summary>
/// Moves a run's waiting jobs on after any change: each queued or pending job passes its gate and is marked
/// pending (with why), skipped, or returned as ready. Manual jobs (and requested starts) are ready only once approved. A job
/// about to be ready passes <c>admit</c> last (the server's environment rules), which may skip it or hold it for a person.
/// Jobs are visited in plan order, so a skip reaches the jobs after it in the same pass. Shared by the local executor and the server.
/// </summary>
public static class RunAdvancer
{
    public const string ApprovalReason = "waiting for approval";

    public static IReadOnlyList<RunJob> Advance(Run run, DateTimeOffset now, Action<RunJob>? onSkipped = null, JobAdmission? admit = null)
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
                        ? job.HoldReason ?? ApprovalReason
                        : $"{ApprovalReason}: {job.Approvals.Count} of {job.RequiredApprovals}, asked for by {job.RequestedBy}");
                    break;
                default:
                    Admit(job, admit?.Invoke(job) ?? Admission.Admit, now, ready, onSkipped);
                    break;
            }
        }

        run.Refresh(now);
        return ready;
    }

    private static void Admit(RunJob job, Admission admission, DateTimeOffset now, List<RunJob> ready, Action<RunJob>? onSkipped)
    {
        switch (admission.Verdict)
        {
            case AdmissionVerdict.Refuse:
                job.Skip(admission.Reason!, now);
                onSkipped?.Invoke(job);
                break;
            case AdmissionVerdict.Hold:
                job.Hold(admission.Reason!);
                break;
            default:
                ready.Add(job);
                break;
        }
    }
}
