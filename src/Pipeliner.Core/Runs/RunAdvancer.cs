namespace Pipeliner.Core.Runs;

/// <summary>
/// Moves a run's waiting jobs on after a change: each queued or pending job that changed, or whose needs changed, passes
/// its gate and is marked pending (with why), skipped, or returned as ready. Manual jobs (and requested starts) are ready
/// only once approved. A job about to be ready passes <c>admit</c> last (the server's environment rules), which may skip
/// it or hold it for a person. Jobs are visited in plan order, and a job whose status moves has the jobs that need it
/// visited after it, so a skip reaches them in the same pass. Only those jobs are visited (all of them the first time
/// after the run is made or loaded), so a job is returned as ready when it becomes ready, not again at every later
/// change while it waits for an agent or a slot. Shared by the local executor and the server.
/// </summary>
public static class RunAdvancer
{
    public const string ApprovalReason = "waiting for approval";

    public static IReadOnlyList<RunJob> Advance(Run run, DateTimeOffset now, Action<RunJob>? onSkipped = null, JobAdmission? admit = null)
    {
        var ready = new List<RunJob>();
        var toVisit = new PriorityQueue<RunJob, int>();
        var queued = new HashSet<RunJob>();
        void Visit(RunJob job)
        {
            if (queued.Add(job)) toVisit.Enqueue(job, job.Index);
        }

        foreach (var changed in run.TakeJobsToAdvance())
        {
            Visit(changed);
            foreach (var dependent in run.Dependents(changed)) Visit(dependent);
        }

        while (toVisit.TryDequeue(out var job, out _))
        {
            queued.Remove(job);
            if (job.Status is not (JobStatus.Queued or JobStatus.Pending)) continue;
            var before = job.Status;
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

            if (job.Status != before)
            {
                foreach (var dependent in run.Dependents(job)) Visit(dependent);
            }
        }

        // What this pass changed, it has looked at already.
        run.TakeJobsToAdvance();
        run.Refresh(now);
        ready.Sort((a, b) => a.Index.CompareTo(b.Index));
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
