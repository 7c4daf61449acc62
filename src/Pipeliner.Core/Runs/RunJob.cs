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

    public RunJob(PlannedJob planned)
    {
        Planned = planned;
        if (planned.Decision == JobDecision.Skip) SetStatus(JobStatus.Skipped, planned.Reason);
    }

    /// <summary>Rebuilds a job from storage as it was, without replaying its transitions.</summary>
    public static RunJob Restore(
        PlannedJob planned, JobStatus status, string? reason, string? approvedBy,
        DateTimeOffset? finishedAt, IEnumerable<JobAttempt> attempts)
    {
        var job = new RunJob(planned) { Status = status, Reason = reason, ApprovedBy = approvedBy, FinishedAt = finishedAt };
        job._attempts.AddRange(attempts.OrderBy(a => a.Number));
        return job;
    }

    public PlannedJob Planned { get; }
    public string Id => Planned.Id;
    public JobStatus Status { get; private set; } = JobStatus.Queued;

    /// <summary>Why the job is pending, skipped or how it ended, in words.</summary>
    public string? Reason { get; private set; }

    public bool IsManual => Planned.Decision == JobDecision.Manual;
    public string? ApprovedBy { get; private set; }
    public IReadOnlyList<JobAttempt> Attempts => _attempts;
    public JobAttempt? LastAttempt => _attempts.Count == 0 ? null : _attempts[^1];
    public DateTimeOffset? StartedAt => _attempts.Count == 0 ? null : _attempts[0].StartedAt;
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Failed, but <c>allow_failure</c> lets the pipeline pass.</summary>
    public bool FailureAllowed => Planned.Spec.AllowFailure && Status is JobStatus.Failed or JobStatus.TimedOut;

    public bool HasRetriesLeft => _attempts.Count <= Planned.Spec.Retry;

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
    }

    public JobAttempt Start(DateTimeOffset now, string? agent = null)
    {
        // Running → running is no status change, but a second attempt must not begin beside the first.
        if (Status == JobStatus.Running) throw new InvalidTransitionException($"job '{Id}' is already running");
        SetStatus(JobStatus.Running, null);
        var attempt = new JobAttempt { Number = _attempts.Count + 1, StartedAt = now, Agent = agent };
        _attempts.Add(attempt);
        return attempt;
    }

    /// <summary>Records how the current attempt ended; a failure with retries left queues the next attempt.</summary>
    public void Finish(AttemptOutcome outcome, DateTimeOffset now)
    {
        if (Status != JobStatus.Running || LastAttempt is not { } attempt)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()}, not running");
        if (!outcome.Status.IsFinished() || outcome.Status == JobStatus.Skipped)
            throw new InvalidTransitionException($"an attempt cannot end as {outcome.Status.ToName()}");
        attempt.Status = outcome.Status;
        attempt.ExitCode = outcome.ExitCode;
        attempt.Message = outcome.Message;
        attempt.PeakMemoryBytes = outcome.PeakMemoryBytes;
        attempt.FinishedAt = now;

        var failed = outcome.Status is JobStatus.Failed or JobStatus.TimedOut;
        if (failed && HasRetriesLeft)
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
        }

        SetStatus(JobStatus.Canceled, reason);
        FinishedAt = now;
    }

    /// <summary>
    /// The agent running the current attempt vanished (lease expired, server restarted): the attempt failed as
    /// lost, and the job is queued again when <paramref name="requeue"/>, otherwise it fails.
    /// </summary>
    public void MarkLost(string message, bool requeue, DateTimeOffset now)
    {
        if (Status != JobStatus.Running || LastAttempt is not { } attempt)
            throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()}, not running");
        attempt.Status = JobStatus.Failed;
        attempt.Message = message;
        attempt.FinishedAt = now;
        if (requeue)
        {
            SetStatus(JobStatus.Queued, $"{message}; queued again");
            return;
        }

        SetStatus(JobStatus.Failed, message);
        FinishedAt = now;
    }

    /// <summary>A person asks for a finished job to run again: a new attempt, same plan.</summary>
    public void Retry()
    {
        if (!Status.IsFinished()) throw new InvalidTransitionException($"job '{Id}' is {Status.ToName()} and cannot be retried");
        SetStatus(JobStatus.Queued, null);
        FinishedAt = null;
    }

    private void SetStatus(JobStatus to, string? reason)
    {
        if (to != Status && !Allowed[Status].Contains(to))
            throw new InvalidTransitionException($"job '{Id}' cannot move from {Status.ToName()} to {to.ToName()}");
        if (to == JobStatus.Pending && Status == JobStatus.Pending && reason == Reason) return;
        Status = to;
        Reason = reason;
    }
}
