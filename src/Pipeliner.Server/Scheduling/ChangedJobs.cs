using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.ForgeStatuses;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// Marks what one change wrote as modified, added or deleted, looking only at those rows and only at their own fields.
/// The coordinator's database context does not scan every tracked entity before saving (its automatic change detection is
/// off), and EF's detection is not used on the run's rows either: detecting one job row's changes, or the run row's, costs
/// in proportion to the run's jobs (7 ms per job row in a run of 10,240 under load, the run's collection compared every
/// time). The rows are the run's, those of the jobs the change and the advance after it touched
/// (<see cref="Pipeliner.Core.Runs.Run.TakeChangedJobs"/>) or that the change asked for (<see cref="RunChange.JobEntity"/>:
/// their artifacts may have been replaced), with their attempts and approvals, and the commit statuses staged with it.
/// </summary>
public static class ChangedJobs
{
    /// <param name="touched">Rows the change asked for, with their artifacts as they were before it.</param>
    public static void Detect(
        PipelinerDbContext db, RunEntity run, IEnumerable<JobEntity> jobs, IReadOnlyDictionary<JobEntity, ArtifactEntity[]> touched)
    {
        DetectFields(db.Entry(run));
        foreach (var deployment in run.Deployments) AddIfNew(db, deployment, () => deployment.RunId = run.Id);
        foreach (var job in jobs.Concat(touched.Keys).Distinct())
        {
            DetectFields(db.Entry(job));
            foreach (var attempt in job.Attempts)
            {
                if (!AddIfNew(db, attempt, () => attempt.JobId = job.Id)) DetectFields(db.Entry(attempt));
            }

            foreach (var approval in job.Approvals) AddIfNew(db, approval, () => approval.JobId = job.Id);
        }

        foreach (var (job, before) in touched)
        {
            foreach (var artifact in before.Except(job.Artifacts)) db.Entry(artifact).State = EntityState.Deleted;
            foreach (var artifact in job.Artifacts) AddIfNew(db, artifact, () => artifact.JobId = job.Id);
        }

        // The commit statuses staged with the change (ForgeStatusOutbox changes the contexts it loaded).
        foreach (var context in db.ChangeTracker.Entries<ForgeStatusContextEntity>()) context.DetectChanges();
    }

    /// <summary>Marks the row's fields that differ from what was loaded or last saved as modified.</summary>
    private static void DetectFields(EntityEntry entry)
    {
        if (entry.State is not (EntityState.Unchanged or EntityState.Modified)) return;
        foreach (var property in entry.Properties)
        {
            if (!property.IsModified && !property.Metadata.IsPrimaryKey() && !Equals(property.OriginalValue, property.CurrentValue))
                property.IsModified = true;
        }
    }

    /// <summary>Starts tracking a row the change created (its foreign key set first); false when it is tracked already.</summary>
    private static bool AddIfNew(PipelinerDbContext db, object row, Action setForeignKey)
    {
        var entry = db.Entry(row);
        if (entry.State != EntityState.Detached) return false;
        setForeignKey();
        entry.State = EntityState.Added;
        return true;
    }
}
