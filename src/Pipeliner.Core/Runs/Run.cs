using Pipeliner.Core.Planning;

namespace Pipeliner.Core.Runs;

/// <summary>
/// One run of a pipeline: its plan's jobs and their progress. The run's status follows from its jobs
/// (<see cref="Refresh"/>); cancelling is the only direct move. The run hears of every change to its jobs, so that
/// what follows a change (advancing waiting jobs, saving) visits the jobs that changed and those that need them, not
/// every job of the run: a state change costs the same in a run of one job and in one of ten thousand.
/// </summary>
public sealed class Run
{
    private static readonly IReadOnlyList<RunJob> NoJobs = [];
    private readonly Dictionary<string, RunJob> _jobsById;
    private readonly HashSet<RunJob> _unfinished;
    private readonly HashSet<RunJob> _toAdvance;
    private readonly HashSet<RunJob> _changed = [];
    private Dictionary<string, List<RunJob>>? _dependents;

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
        for (var i = 0; i < jobs.Count; i++) jobs[i].JoinRun(this, i);
        _unfinished = [.. jobs.Where(j => !j.Status.IsFinished())];
        // A run just made or loaded has every job to look at once.
        _toAdvance = [.. jobs];
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
    public bool ManualJobsAvailable => Status.IsFinished() && _unfinished.Count > 0;

    /// <summary>Whether any job has not finished (without visiting every job).</summary>
    public bool HasUnfinishedJobs => _unfinished.Count > 0;

    /// <summary>
    /// The jobs that changed (status, reason, attempts, approvals) since the last call, in plan order, and forgets them:
    /// what a store writes back after a change.
    /// </summary>
    public IReadOnlyList<RunJob> TakeChangedJobs()
    {
        if (_changed.Count == 0) return NoJobs;
        var changed = _changed.OrderBy(j => j.Index).ToList();
        _changed.Clear();
        return changed;
    }

    /// <summary>The jobs that changed since the last advance (all of them in a run just made or loaded), and forgets them.</summary>
    internal IReadOnlyList<RunJob> TakeJobsToAdvance()
    {
        if (_toAdvance.Count == 0) return NoJobs;
        var jobs = _toAdvance.ToList();
        _toAdvance.Clear();
        return jobs;
    }

    /// <summary>The jobs that name <paramref name="job"/> in their needs.</summary>
    internal IReadOnlyList<RunJob> Dependents(RunJob job)
    {
        _dependents ??= Jobs.SelectMany(j => j.Planned.Needs.Select(need => (need, j)))
            .GroupBy(e => e.need, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.j).ToList(), StringComparer.Ordinal);
        return _dependents.TryGetValue(job.Id, out var dependents) ? dependents : NoJobs;
    }

    internal void OnJobChanged(RunJob job)
    {
        _changed.Add(job);
        _toAdvance.Add(job);
        if (job.Status.IsFinished()) _unfinished.Remove(job);
        else _unfinished.Add(job);
    }

    /// <summary>
    /// Recomputes the run's status from its jobs; call after every job change. Jobs that wait for a person do not hold
    /// the run open unless one of them is <c>blocking</c> (then the run is waiting): the run finishes once every other job
    /// has, and is running again as soon as a person starts one of them.
    /// </summary>
    public void Refresh(DateTimeOffset now)
    {
        if (Status is RunStatus.Canceled or RunStatus.Invalid) return;
        var unfinished = _unfinished;
        if (Status.IsFinished() && unfinished.Count == 0) return;
        if (StartedAt is null && Jobs.Any(j => j.Status == JobStatus.Running || j.Attempts.Count > 0)) StartedAt = now;

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

        return all.Select(Job).OrderBy(j => j.Index).ToList();
    }

    private bool IsWaitingForPerson(RunJob job) =>
        job.AwaitsApproval ||
        job.Planned.Needs.Any(n => _jobsById.TryGetValue(n, out var need) && need.Status == JobStatus.Pending && IsWaitingForPerson(need));
}
