using Pipeliner.Core.Planning;

namespace Pipeliner.Core.Runs;

/// <summary>
/// A job inside a run, with guarded status changes: every move not in <see cref="Allowed"/> throws.
/// Attempts accumulate; a retried job goes back to queued and its next attempt gets the next number.
/// </summary>
public sealed class RunJob
{
    private static readonly Dictionary<JobStatus, JobStatus[]> Allowed = new()
    {
        [JobStatus.Queued] = [JobStatus.Pending, JobStatus.Running, JobStatus.Skipped, JobStatus.Canceled],
        [JobStatus.Pending] = [JobStatus.Pending, JobStatus.Running, JobStatus.Skipped, JobStatus.Canceled],
        [JobStatus.Running] = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.TimedOut, JobStatus.Canceled, JobStatus.Queued],
        // Finished jobs only move again when a person retries them.
        [JobStatus.Succeeded] = [JobStatus.Queued],
        [JobStatus.Failed] = [JobStatus.Queued],
        [JobStatus.TimedOut] = [JobStatus.Queued],
        [JobStatus.Canceled] = [JobStatus.Queued],
        [JobStatus.Skipped] = [JobStatus.Queued],
    };

    private readonly List<JobAttempt> _attempts = [];
    private readonly List<JobApproval> _approvals = [];
    private Run? _run;

    public RunJob(PlannedJob planned)
    {
        Planned = planned;
        if (planned.Decision == JobDecision.Skip) SetStatus(JobStatus.Skipped, planned.Reason);
    }

    /// <summary>Rebuilds a job from storage as it was, without replaying its transitions.</summary>
    public static RunJob Restore(
        PlannedJob planned, JobStatus status, string? reason, string? approvedBy,
        DateTimeOffset? finishedAt, IEnumerable<JobAttempt> attempts, JobApprovalState? approvals = null)
    {
        var job = new RunJob(planned) { Status = status, Reason = reason, ApprovedBy = approvedBy, FinishedAt = finishedAt };
        job._attempts.AddRange(attempts.OrderBy(a => a.Number));
        if (approvals is not null)
        {
            job.RequestedBy = approvals.RequestedBy;
            job.RequiredApprovals = approvals.RequiredApprovals;
            job.ApprovalRound = approvals.Round;
            job.HoldReason = approvals.HoldReason;
            job._approvals.AddRange(approvals.Approvals);
        }

        return job;
    }

    /// <summary>Joins the run that holds the job, which then hears of every change to it (<see cref="Run.TakeChangedJobs"/>).</summary>
    internal void JoinRun(Run run, int index)
    {
        if (_run is not null && _run != run) throw new InvalidOperationException($"job '{Id}' belongs to another run");
        _run = run;
        Index = index;
    }

    /// <summary>The job's place in its run's plan order.</summary>
    internal int Index { get; private set; }

    /// <summary>Tells the run that holds the job that it changed (its status, reason, attempts or approvals).</summary>
    private void Changed() => _run?.OnJobChanged(this);

    public PlannedJob Planned { get; }
    public string Id => Planned.Id;
    public JobStatus Status { get; private set; } = JobStatus.Queued;

    /// <summary>Why the job is pending, skipped or how it ended, in words.</summary>
    public string? Reason { get; private set; }

    public bool IsManual => Planned.Decision == JobDecision.Manual;
    public string? ApprovedBy { get; private set; }
    /// <summary>Who asked for this job to start (a promotion or redeploy) when it needs approvals by others.</summary>
    public string? RequestedBy { get; private set; }

    /// <summary>How many approvals by people other than <see cref="RequestedBy"/> the requested start needs.</summary>
    public int RequiredApprovals { get; private set; }

    /// <summary>Counts the times the job's approvals were reset (by a retry): approvals of earlier rounds no longer count.</summary>
    public int ApprovalRound { get; private set; }

    /// <summary>The approvals of the current round, oldest first.</summary>
    public IReadOnlyList<JobApproval> Approvals => _approvals;

    /// <summary>
    /// Why rules outside the pipeline (an environment's) hold this automatic job for a person to start, like a manual job;
    /// null when they do not.
    /// </summary>
    public string? HoldReason { get; private set; }

    /// <summary>Starts only when a person starts it: <c>when: manual</c>, or held by its environment's rules.</summary>
    public bool StartsByPerson => IsManual || HoldReason is not null;

    /// <summary>Waits for people: a manual or held job nobody started yet, or a requested start still short of approvals.</summary>
    public bool AwaitsApproval => ApprovedBy is null && (StartsByPerson || RequestedBy is not null);

    public IReadOnlyList<JobAttempt> Attempts => _attempts;
    public JobAttempt? LastAttempt => _attempts.Count == 0 ? null : _attempts[^1];
    public DateTimeOffset? StartedAt => _attempts.Count == 0 ? null : _attempts[0].StartedAt;
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Failed, but <c>allow_failure</c> lets the pipeline pass.</summary>
    public bool FailureAllowed => Planned.Spec.AllowFailure && Status is JobStatus.Failed or JobStatus.TimedOut;

    /// <summary>Attempts the job's own <c>retry</c> counts: every one but those lost with their agent.</summary>
    public bool HasRetriesLeft => _attempts.Count(a => a.Cause != FailureCause.Lost) <= Planned.Spec.Retry;

    /// <summary>How many of the last attempts were lost with their agent, one after another.</summary>
    public int LostInARow => _attempts.AsEnumerable().Reverse().TakeWhile(a => a.Cause == FailureCause.Lost).Count();

    public void MarkPending(string reason)
    {
        if (Status == JobStatus.Pending && Reason == reason) return;
        SetStatus(JobStatus.Pending, reason);
    }

    public void Approve(string approvedBy)
    {
        if (!IsManual) throw new InvalidTransitionException($"job '{Id}' is not a manual job");
        if (Status.IsFinished() || Status == JobStatus.Running)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()} and cannot be approved");
        ApprovedBy = approvedBy;
        Changed();
    }

    /// <summary>Rules outside the pipeline hold the job, about to be ready, until a person starts it (<see cref="RequestStart"/>).</summary>
    public void Hold(string reason)
    {
        if (Status is not (JobStatus.Queued or JobStatus.Pending))
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()} and cannot be held");
        if (ApprovedBy is not null) throw new InvalidTransitionException($"job '{Id}' was started already by {ApprovedBy}");
        HoldReason = reason;
        MarkPending(reason);
        Changed();
    }

    /// <summary>
    /// A person asks for the job to start (a promotion, a redeploy). Without required approvals it is approved by them at
    /// once; otherwise it waits for <paramref name="requiredApprovals"/> approvals by others (<see cref="AddApproval"/>).
    /// </summary>
    public void RequestStart(string requester, int requiredApprovals)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requiredApprovals);
        if (Status.IsFinished() || Status == JobStatus.Running)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()}; a start cannot be requested");
        if (ApprovedBy is not null || RequestedBy is not null)
            throw new InvalidTransitionException($"job '{Id}' was asked for already by {RequestedBy ?? ApprovedBy}");
        RequestedBy = requester;
        RequiredApprovals = requiredApprovals;
        if (requiredApprovals == 0) ApprovedBy = requester;
        Changed();
    }

    /// <summary>One approval of a requested start; the job is approved (may start) once enough are given.</summary>
    /// <returns>True when this approval was the last one needed.</returns>
    public bool AddApproval(string approver, DateTimeOffset now)
    {
        if (RequestedBy is null) throw new InvalidTransitionException($"nobody asked for job '{Id}' to start; there is nothing to approve");
        if (ApprovedBy is not null || Status.IsFinished() || Status == JobStatus.Running)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()} and approved already");
        if (approver == RequestedBy) throw new InvalidTransitionException("approval by the requester is refused");
        if (_approvals.Any(a => a.Approver == approver))
            throw new InvalidTransitionException($"job '{Id}' was approved already by {approver}");
        _approvals.Add(new JobApproval(approver, now));
        Changed();
        if (_approvals.Count < RequiredApprovals) return false;
        ApprovedBy = approver;
        return true;
    }

    public JobAttempt Start(DateTimeOffset now, string? agent = null)
    {
        // Running → running is no status change, but a second attempt must not begin beside the first.
        if (Status == JobStatus.Running) throw new InvalidTransitionException($"job '{Id}' is already running");
        SetStatus(JobStatus.Running, null);
        var attempt = new JobAttempt { Number = _attempts.Count + 1, StartedAt = now, Agent = agent };
        _attempts.Add(attempt);
        Changed();
        return attempt;
    }

    /// <summary>
    /// Records how the current attempt ended; a failure of the job's own with retries left queues the next attempt.
    /// A configuration fault is never retried; a lost agent is reported with <see cref="MarkLost"/>.
    /// </summary>
    public void Finish(AttemptOutcome outcome, DateTimeOffset now)
    {
        if (Status != JobStatus.Running || LastAttempt is not { } attempt)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()}, not running");
        if (!outcome.Status.IsFinished() || outcome.Status == JobStatus.Skipped)
            throw new InvalidTransitionException($"an attempt cannot end as {outcome.Status.ToName()}");
        if (outcome.Cause == FailureCause.Lost)
            throw new InvalidTransitionException($"a lost attempt of job '{Id}' is recorded with {nameof(MarkLost)}");
        attempt.Status = outcome.Status;
        attempt.ExitCode = outcome.ExitCode;
        attempt.Message = outcome.Message;
        attempt.PeakMemoryBytes = outcome.PeakMemoryBytes;
        attempt.CpuTimeMs = outcome.CpuTimeMs;
        attempt.Cause = outcome.Cause;
        attempt.FinishedAt = now;
        Changed();

        var failed = outcome.Status is JobStatus.Failed or JobStatus.TimedOut;
        if (failed && outcome.Cause == FailureCause.Job && HasRetriesLeft)
        {
            SetStatus(JobStatus.Queued, $"retrying: attempt {attempt.Number} {outcome.Status.ToName()}");
            return;
        }

        SetStatus(outcome.Status, outcome.Message);
        FinishedAt = now;
    }

    public void Skip(string reason, DateTimeOffset now)
    {
        SetStatus(JobStatus.Skipped, reason);
        FinishedAt = now;
        Changed();
    }

    /// <summary>Cancels a job that has not finished; the caller stops a running attempt first.</summary>
    public void Cancel(string reason, DateTimeOffset now)
    {
        if (Status.IsFinished()) return;
        if (LastAttempt is { FinishedAt: null } attempt)
        {
            attempt.Status = JobStatus.Canceled;
            attempt.Message = reason;
            attempt.FinishedAt = now;
            Changed();
        }

        SetStatus(JobStatus.Canceled, reason);
        FinishedAt = now;
    }

    /// <summary>
    /// The server or agent running the current attempt died (a restart, an expired lease): the attempt failed as lost.
    /// That is not the job's failure: the job is queued again without using up its <c>retry</c>, unless this was more
    /// than <paramref name="maxLostInARow"/> losses in a row (a job that takes its agent down with it), when it fails.
    /// </summary>
    public void MarkLost(string message, int maxLostInARow, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLostInARow);
        if (Status != JobStatus.Running || LastAttempt is not { } attempt)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()}, not running");
        attempt.Status = JobStatus.Failed;
        attempt.Message = message;
        attempt.Cause = FailureCause.Lost;
        attempt.FinishedAt = now;
        Changed();
        var lost = LostInARow;
        if (lost <= maxLostInARow)
        {
            SetStatus(JobStatus.Queued, $"{message}; queued again (lost {lost} of at most {maxLostInARow} times in a row; retry not used)");
            return;
        }

        SetStatus(JobStatus.Failed, $"{message}; lost {lost} times in a row, more than the {maxLostInARow} allowed: not queued again");
        FinishedAt = now;
    }

    /// <summary>A person asks for a finished job to run again: a new attempt, same plan.</summary>
    public void Retry()
    {
        if (!Status.IsFinished()) throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()} and cannot be retried");
        SetStatus(JobStatus.Queued, null);
        FinishedAt = null;
        Changed();
        // Deploying again is a new decision: a deployment job that waited for people waits for them again.
        if (Planned.Spec.Environment is not null && (StartsByPerson || RequestedBy is not null)) ResetApprovals();
    }

    private void ResetApprovals()
    {
        ApprovedBy = null;
        RequestedBy = null;
        RequiredApprovals = 0;
        // The rules decide again whether the next start needs a person.
        HoldReason = null;
        _approvals.Clear();
        ApprovalRound++;
        Changed();
    }

    private void SetStatus(JobStatus to, string? reason)
    {
        if (to != Status && !Allowed[Status].Contains(to))
            throw new InvalidTransitionException($"job '{Id}' cannot move from {Status.ToName()} to {to.ToName()}");
        if (to == JobStatus.Pending && Status == JobStatus.Pending && reason == Reason) return;
        Status = to;
        Reason = reason;
        Changed();
    }
}

/// <summary>One person's approval of a requested start.</summary>
public sealed record JobApproval(string Approver, DateTimeOffset At);

/// <summary>The approval bookkeeping of a job as stored: the request, the round and its approvals.</summary>
public sealed record JobApprovalState(
    string? RequestedBy, int RequiredApprovals, int Round, IReadOnlyList<JobApproval> Approvals, string? HoldReason = null);
