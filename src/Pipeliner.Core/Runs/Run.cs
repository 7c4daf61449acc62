using Pipeliner.Core.Planning;

namespace Pipeliner.Core.Runs;

/// <summary>
/// One run of a pipeline: its plan's jobs and their progress. The run's status follows from its jobs
/// (<see cref="Refresh"/>); cancelling is the only direct move.
/// </summary>
public sealed class Run
{
    private readonly Dictionary<string, RunJob> _jobsById;

    public Run(string id, ExecutionPlan plan, DateTimeOffset createdAt)
        : this(id, plan, createdAt, plan.Jobs.Select(j => new RunJob(j)).ToList())
    {
        if (!plan.Triggered) throw new ArgumentException("a run needs a triggered plan", nameof(plan));
    }

    /// <summary>Rebuilds a run from storage; its jobs come restored with <see cref="RunJob.Restore"/>.</summary>
    public static Run Restore(string id, ExecutionPlan plan, DateTimeOffset createdAt, RunStatus status,
        DateTimeOffset? startedAt, DateTimeOffset? finishedAt, IReadOnlyList<RunJob> jobs) =>
        new(id, plan, createdAt, jobs) { Status = status, StartedAt = startedAt, FinishedAt = finishedAt };

    private Run(string id, ExecutionPlan plan, DateTimeOffset createdAt, IReadOnlyList<RunJob> jobs)
    {
        Id = id;
        Plan = plan;
        CreatedAt = createdAt;
        Jobs = jobs;
        _jobsById = Jobs.ToDictionary(j => j.Id, StringComparer.Ordinal);
    }

    public string Id { get; }
    public ExecutionPlan Plan { get; }
    public IReadOnlyList<RunJob> Jobs { get; }
    public RunStatus Status { get; private set; } = RunStatus.Queued;
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }

    public RunJob Job(string id) => _jobsById.TryGetValue(id, out var job)
        ? job
        : throw new KeyNotFoundException($"run {Id} has no job '{id}'");

    public bool TryGetJob(string id, out RunJob job) => _jobsById.TryGetValue(id, out job!);

    /// <summary>
    /// The run finished while manual jobs nobody started are left (as in GitLab): starting one reopens the run.
    /// </summary>
    public bool ManualJobsAvailable => Status.IsFinished() && Jobs.Any(j => !j.Status.IsFinished());

    /// <summary>
    /// Recomputes the run's status from its jobs; call after every job change. Jobs that wait for a person do not hold
    /// the run open unless one of them is <c>blocking</c> (then the run is waiting): the run finishes once every other job
    /// has, and is running again as soon as a person starts one of them.
    /// </summary>
    public void Refresh(DateTimeOffset now)
    {
        if (Status is RunStatus.Canceled or RunStatus.Invalid) return;
        var unfinished = Jobs.Where(j => !j.Status.IsFinished()).ToList();
        if (Status.IsFinished() && unfinished.Count == 0) return;
        if (Jobs.Any(j => j.Status == JobStatus.Running || j.Attempts.Count > 0)) StartedAt ??= now;

        if (!unfinished.All(j => j.Status == JobStatus.Pending && IsWaitingForPerson(j)))
        {
            Status = StartedAt is null ? RunStatus.Queued : RunStatus.Running;
            FinishedAt = null;
            return;
        }

        if (unfinished.Any(j => j.AwaitsApproval && j.Planned.Spec.Blocking))
        {
            Status = RunStatus.Waiting;
            FinishedAt = null;
            return;
        }

        var outcome = Jobs.Any(j => j.Status == JobStatus.Canceled) ? RunStatus.Canceled
            : Jobs.Any(j => j.Status is JobStatus.Failed or JobStatus.TimedOut && !j.FailureAllowed) ? RunStatus.Failed
            : RunStatus.Succeeded;
        if (outcome == Status && FinishedAt is not null) return;
        Status = outcome;
        FinishedAt = now;
    }

    public void Cancel(string reason, DateTimeOffset now)
    {
        if (Status.IsFinished()) return;
        foreach (var job in Jobs) job.Cancel(reason, now);
        Status = RunStatus.Canceled;
        FinishedAt = now;
    }

    /// <summary>Reopens a finished run when a person retries some of its jobs (starting a manual job reopens it by itself).</summary>
    public void Reopen()
    {
        if (Status == RunStatus.Invalid) throw new InvalidTransitionException($"run {Id} is invalid and cannot run");
        Status = RunStatus.Running;
        FinishedAt = null;
    }

    /// <summary>Every job <paramref name="job"/> needs, directly or not, in plan order: whose artifacts it receives.</summary>
    public IReadOnlyList<RunJob> Upstream(RunJob job)
    {
        var all = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(job.Planned.Needs);
        while (pending.TryPop(out var id))
        {
            if (all.Add(id))
            {
                foreach (var need in Job(id).Planned.Needs) pending.Push(need);
            }
        }

        return Jobs.Where(j => all.Contains(j.Id)).ToList();
    }

    private bool IsWaitingForPerson(RunJob job) =>
        job.AwaitsApproval ||
        job.Planned.Needs.Any(n => _jobsById.TryGetValue(n, out var need) && need.Status == JobStatus.Pending && IsWaitingForPerson(need));
}
