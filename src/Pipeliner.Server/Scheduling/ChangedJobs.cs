using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Which of a run's job rows one change touched, so that only those are compared with what was loaded and saved. The
/// coordinator's database context does not scan every tracked entity before saving (its automatic change detection is
/// off): for a run of 10,000 jobs that scan, done twice per save, was most of the server's CPU per state change.
/// A job counts as changed when any stored field of it or of its newest attempt differs from before the change, when it
/// gained an attempt or an approval, or when the change asked for its row (<see cref="RunChange.JobEntity"/>).
/// </summary>
public sealed class ChangedJobs
{
    private readonly RunEntity _run;
    private readonly JobState[] _before;

    private ChangedJobs(RunEntity run)
    {
        _run = run;
        _before = [.. run.Jobs.Select(JobState.Of)];
    }

    /// <summary>Remembers the state of the run's jobs before a change.</summary>
    public static ChangedJobs Before(RunEntity run) => new(run);

    /// <summary>Marks what changed since <see cref="Before"/> as modified, added or deleted in <paramref name="db"/>.</summary>
    public void Detect(PipelinerDbContext db, IReadOnlySet<JobEntity> touched)
    {
        db.Entry(_run).DetectChanges();
        for (var i = 0; i < _run.Jobs.Count; i++)
        {
            var job = _run.Jobs[i];
            if (!touched.Contains(job) && JobState.Of(job) == _before[i]) continue;
            db.Entry(job).DetectChanges();
            foreach (var attempt in job.Attempts) db.Entry(attempt).DetectChanges();
        }

        // The commit statuses staged with the change (ForgeStatusOutbox changes the contexts it loaded).
        foreach (var context in db.ChangeTracker.Entries<ForgeStatusContextEntity>()) context.DetectChanges();
    }

    private readonly record struct JobState(
        string Status, string? Reason, bool Ready, string? ApprovedBy, string? RequestedBy, int RequiredApprovals, int ApprovalRound,
        string? HoldReason, DateTimeOffset? FinishedAt, int Attempts, int Approvals, int Artifacts, AttemptState? Newest)
    {
        public static JobState Of(JobEntity job)
        {
            var newest = job.Attempts.Count == 0 ? null : job.Attempts.MaxBy(a => a.Number);
            return new JobState(job.Status, job.Reason, job.Ready, job.ApprovedBy, job.RequestedBy, job.RequiredApprovals, job.ApprovalRound,
                job.HoldReason, job.FinishedAt, job.Attempts.Count, job.Approvals.Count, job.Artifacts.Count,
                newest is null ? null : new AttemptState(newest.Status, newest.FinishedAt, newest.ExitCode, newest.Message,
                    newest.PeakMemoryBytes, newest.Cause, newest.LeaseExpiresAt));
        }
    }

    private readonly record struct AttemptState(
        string Status, DateTimeOffset? FinishedAt, int? ExitCode, string? Message, long? PeakMemoryBytes, string? Cause,
        DateTimeOffset? LeaseExpiresAt);
}
