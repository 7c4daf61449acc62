using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// A run just stored, handed to its first advance (<see cref="RunCoordinator.AdvanceStoredAsync"/>) instead of read back:
/// copies of its row and job rows as inserted (not tracked by any context), its project's row as the run number's update
/// returned it inside the same transaction, and the run's lock (<see cref="RunLocks"/>), taken before the transaction
/// committed. Holding the lock from before the commit to the end of the first advance is what makes the copies current: no
/// change of this process can reach the run before (nothing knew its id), nor between the commit and the advance. Made
/// only where one process uses the database (SQLite): with replicas another server may change the run as soon as it is
/// committed, and the first advance reads it under the database's lock as before.
/// </summary>
public sealed class StoredRunHandover(RunEntity run, IReadOnlyList<JobEntity> jobs, ProjectEntity project, long projectStamp, IDisposable runLock) : IDisposable
{
    public RunEntity Run { get; } = run;
    public IReadOnlyList<JobEntity> Jobs { get; } = jobs;
    public ProjectEntity Project { get; } = project;

    /// <summary><see cref="Data.ProjectWrites.Stamp"/> taken before the project's row was read.</summary>
    public long ProjectStamp { get; } = projectStamp;

    /// <summary>Releases the run's lock (once; the first advance's end, or a store that was not committed).</summary>
    public void Dispose() => runLock.Dispose();
}
