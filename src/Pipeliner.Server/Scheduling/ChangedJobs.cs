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
    /// <param name="statusesStaged">
    /// The forge's outbox staged commit statuses with the change: their rows are looked at too (else none changed: the outbox
    /// changes a context only with an update it stages).
    /// </param>
    /// <returns>The rows found changed, and whether all of them can be written as plain statements (<see cref="PlainRowWrites"/>).</returns>
    public static ChangedRows Detect(
        PipelinerDbContext db, RunEntity run, IEnumerable<JobEntity> jobs, IReadOnlyDictionary<JobEntity, ArtifactEntity[]> touched,
        bool statusesStaged)
    {
        var found = new ChangedRows();
        DetectFields(db.Entry(run), found);
        foreach (var deployment in run.Deployments) AddIfNew(db, deployment, () => deployment.RunId = run.Id, found);
        foreach (var job in jobs.Concat(touched.Keys).Distinct())
        {
            DetectFields(db.Entry(job), found);
            foreach (var attempt in job.Attempts)
            {
                if (!AddIfNew(db, attempt, () => attempt.JobId = job.Id, found)) DetectFields(db.Entry(attempt), found);
            }

            foreach (var approval in job.Approvals) AddIfNew(db, approval, () => approval.JobId = job.Id, found);
        }

        foreach (var (job, before) in touched)
        {
            foreach (var artifact in before.Except(job.Artifacts))
            {
                var entry = db.Entry(artifact);
                entry.State = EntityState.Deleted;
                found.Add(entry, 0);
            }

            foreach (var artifact in job.Artifacts) AddIfNew(db, artifact, () => artifact.JobId = job.Id, found);
        }

        if (!statusesStaged) return found;
        // The commit statuses staged with the change (ForgeStatusOutbox changes the contexts it loaded and adds their updates,
        // whose keys EF Core's save sets from the contexts'): the whole change is saved by EF Core.
        foreach (var context in db.ChangeTracker.Entries<ForgeStatusContextEntity>()) context.DetectChanges();
        found.Plain = false;
        return found;
    }

    /// <summary>Marks the row's fields that differ from what was loaded or last saved as modified (and those marked already).</summary>
    private static void DetectFields(EntityEntry entry, ChangedRows found)
    {
        if (entry.State is not (EntityState.Unchanged or EntityState.Modified)) return;
        ulong columns = 0;
        var index = 0;
        foreach (var property in entry.Properties)
        {
            if (!property.Metadata.IsPrimaryKey() && (property.IsModified || !Equals(property.OriginalValue, property.CurrentValue)))
            {
                property.IsModified = true;
                columns |= index < 64 ? 1UL << index : 0;
                if (index >= 64) found.Plain = false;
            }

            index++;
        }

        if (columns != 0) found.Add(entry, columns);
    }

    /// <summary>Starts tracking a row the change created (its foreign key set first); false when it is tracked already.</summary>
    private static bool AddIfNew(PipelinerDbContext db, object row, Action setForeignKey, ChangedRows found)
    {
        var entry = db.Entry(row);
        if (entry.State != EntityState.Detached) return false;
        setForeignKey();
        entry.State = EntityState.Added;
        found.Add(entry, 0);
        return true;
    }
}

/// <summary>The rows one change writes (<see cref="ChangedJobs.Detect"/>).</summary>
public sealed class ChangedRows
{
    private readonly List<RowChange> _rows = [];

    public IReadOnlyList<RowChange> Rows => _rows;

    /// <summary>Every row can be written as a plain statement; false: the change is saved by EF Core.</summary>
    public bool Plain { get; set; } = true;

    internal void Add(EntityEntry entry, ulong columns)
    {
        _rows.Add(new RowChange(entry, columns));
        if (!PlainRowWrites.Fits(entry)) Plain = false;
    }

    /// <summary>
    /// Writes the rows: as plain statements where they all can be (anything else the context holds, none expected, is then
    /// saved by EF Core after them), else with <c>SaveChanges</c>.
    /// </summary>
    public async Task SaveAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (!Plain)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        await PlainRowWrites.WriteAsync(db, _rows, cancellationToken);
        if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(cancellationToken);
    }
}
