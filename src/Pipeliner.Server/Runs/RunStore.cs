using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>Loads the run aggregate from its entities and writes its state back: the only place that maps the two.</summary>
public sealed class RunStore(PipelinerDbContext db, DataLayout layout)
{
    public static string RunKey(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <param name="justStored">
    /// The run was stored a moment ago and has not been advanced yet (<see cref="Scheduling.RunCoordinator.AdvanceStoredAsync"/>):
    /// none of its jobs has been ready, so none has an attempt, artifact or approval, and their three queries are not made
    /// (the run, its project and its jobs are: two queries). Should it have moved meanwhile (another replica's recovery
    /// advanced it), it is read whole.
    /// </param>
    public async Task<(RunEntity Entity, Run Run)?> LoadAsync(long runId, CancellationToken cancellationToken, bool justStored = false)
    {
        RunEntity? entity = null;
        if (justStored)
        {
            entity = await db.Runs.Include(r => r.Project).Include(r => r.Jobs).AsSplitQuery().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
            if (entity is not null && !NeverAdvanced(entity))
            {
                db.ChangeTracker.Clear();
                entity = null;
                justStored = false;
            }
        }

        if (!justStored)
        {
            entity = await db.Runs
                .Include(r => r.Project)
                .Include(r => r.Jobs).ThenInclude(j => j.Attempts)
                .Include(r => r.Jobs).ThenInclude(j => j.Artifacts)
                .Include(r => r.Jobs).ThenInclude(j => j.Approvals)
                .AsSplitQuery()
                .FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        }

        return entity is null ? null : Restore(entity);
    }

    /// <summary>The run aggregate of <paramref name="entity"/> and its job rows (with their attempts and approvals, if any); null without a plan.</summary>
    public static (RunEntity Entity, Run Run)? Restore(RunEntity entity)
    {
        if (entity.PlanJson is null) return null;

        var plan = PlanJson.DeserializeStored(entity.PlanJson, entity.Id);
        var jobsById = entity.Jobs.ToDictionary(j => j.JobId, StringComparer.Ordinal);
        var jobs = plan.Jobs.Select(planned =>
        {
            var stored = jobsById[planned.Id];
            return RunJob.Restore(planned, StatusNames.ParseJobStatus(stored.Status), stored.Reason, stored.ApprovedBy, stored.FinishedAt,
                stored.Attempts.Select(a => JobAttempt.Restore(a.Number, StatusNames.ParseJobStatus(a.Status), a.StartedAt,
                    a.FinishedAt, a.ExitCode, a.Message, a.PeakMemoryBytes, a.Agent, FailureCauseNames.ParseFailureCause(a.Cause), a.CpuTimeMs)),
                ApprovalsOf(stored));
        }).ToList();
        var run = Run.Restore(RunKey(entity.Id), plan, entity.CreatedAt, StatusNames.ParseRunStatus(entity.Status),
            entity.StartedAt, entity.FinishedAt, jobs);
        return (entity, run);
    }

    /// <summary>Queued as stored, not started, every job queued: nothing has been ready, so nothing was claimed or approved.</summary>
    private static bool NeverAdvanced(RunEntity entity)
    {
        var queued = JobStatus.Queued.ToName();
        return entity.Status == RunStatus.Queued.ToName() && entity.StartedAt is null && entity.Jobs.All(j => j.Status == queued && !j.Ready);
    }

    private static JobApprovalState ApprovalsOf(JobEntity stored) => new(stored.RequestedBy, stored.RequiredApprovals, stored.ApprovalRound,
        stored.Approvals.Where(a => a.Round == stored.ApprovalRound).OrderBy(a => a.Id).Select(a => new JobApproval(a.Approver, a.At)).ToList(),
        stored.HoldReason);

    /// <summary>
    /// Copies the run's state and that of <paramref name="jobs"/> (those a change touched) into the tracked entities; the
    /// caller saves the context.
    /// </summary>
    public void Apply(Run run, RunEntity entity, IEnumerable<RunJob> jobs, IReadOnlyDictionary<string, JobEntity> jobsById)
    {
        entity.Status = run.Status.ToName();
        entity.StartedAt = run.StartedAt;
        entity.FinishedAt = run.FinishedAt;
        entity.ManualJobsAvailable = run.ManualJobsAvailable;
        foreach (var job in jobs) Apply(run, job, jobsById[job.Id]);
    }

    private void Apply(Run run, RunJob job, JobEntity stored)
    {
        stored.Status = job.Status.ToName();
        stored.Reason = job.Reason;
        stored.ApprovedBy = job.ApprovedBy;
        stored.RequestedBy = job.RequestedBy;
        stored.RequiredApprovals = job.RequiredApprovals;
        stored.ApprovalRound = job.ApprovalRound;
        stored.HoldReason = job.HoldReason;
        foreach (var approval in job.Approvals)
        {
            // Approvals are only ever added within a round; earlier rounds' rows stay as history.
            if (!stored.Approvals.Any(a => a.Round == job.ApprovalRound && a.Approver == approval.Approver))
                stored.Approvals.Add(new ApprovalEntity { Round = job.ApprovalRound, Approver = approval.Approver, At = approval.At });
        }

        stored.FinishedAt = job.FinishedAt;
        foreach (var attempt in job.Attempts)
        {
            var storedAttempt = stored.Attempts.FirstOrDefault(a => a.Number == attempt.Number);
            if (storedAttempt is null)
            {
                storedAttempt = new AttemptEntity
                {
                    Number = attempt.Number,
                    Status = attempt.Status.ToName(),
                    StartedAt = attempt.StartedAt,
                    LogPath = layout.Relative(layout.JobLog(run.Id, job.Id, attempt.Number)),
                    Agent = attempt.Agent,
                };
                stored.Attempts.Add(storedAttempt);
            }

            storedAttempt.Status = attempt.Status.ToName();
            storedAttempt.FinishedAt = attempt.FinishedAt;
            storedAttempt.ExitCode = attempt.ExitCode;
            storedAttempt.Message = attempt.Message;
            storedAttempt.PeakMemoryBytes = attempt.PeakMemoryBytes;
            storedAttempt.CpuTimeMs = attempt.CpuTimeMs;
            storedAttempt.Cause = attempt.Status is JobStatus.Failed or JobStatus.TimedOut ? attempt.Cause.ToName() : null;
            if (attempt.FinishedAt is not null) storedAttempt.LeaseExpiresAt = null;
        }
    }

    /// <summary>One job entity per job of a new run, all queued (or skipped as planned).</summary>
    public static List<JobEntity> NewJobs(Run run) => run.Jobs.Select((job, index) => new JobEntity
    {
        JobId = job.Id,
        Position = index,
        Stage = job.Planned.Stage,
        Status = job.Status.ToName(),
        Reason = job.Reason,
        RunsOn = string.Join(',', job.Planned.Spec.RunsOn),
    }).ToList();
}

/// <summary>What a run records about its origin besides the plan.</summary>
public sealed record RunMetadata(int Number, string Trigger, string? CommitMessage = null, string? Author = null,
    int? PullRequestNumber = null, string? SourceBranch = null);
