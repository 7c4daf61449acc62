using System.Collections.Concurrent;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Logs.Search;

/// <summary>What the log index records of a run (never changed once the run is created: projects are not renamed).</summary>
public sealed record IndexedRun(int ProjectId, string Project, string? Branch, int Number, DateTimeOffset Created);

/// <summary>
/// The runs this process created, as the log index records them: noted once the run is committed, so that sealing its
/// logs need not read the run and its project back (<see cref="LogSealer"/> reads those it does not find here: runs of
/// another process or from before a restart, or forgotten since).
/// </summary>
public sealed class IndexedRuns
{
    private const int MaxKept = 4096;
    private readonly ConcurrentDictionary<long, IndexedRun> _byRun = new();

    /// <summary>Notes a run whose creation is committed (a rolled-back run's id may be given to the next one).</summary>
    public void Note(RunEntity run, string projectName)
    {
        // Bounded: a burst's runs are sealed within seconds; whatever was forgotten is read back.
        if (_byRun.Count >= MaxKept) _byRun.Clear();
        // As read back: the stored ticks in UTC.
        _byRun[run.Id] = new IndexedRun(run.ProjectId, projectName, run.Branch, run.Number, new DateTimeOffset(run.CreatedAt.UtcTicks, TimeSpan.Zero));
    }

    public IndexedRun? Find(long runId) => _byRun.GetValueOrDefault(runId);

    /// <summary>Forgets deleted runs: a log sealed after its project's deletion must find no run to index it under.</summary>
    public void Forget(IEnumerable<long> runIds)
    {
        foreach (var id in runIds) _byRun.TryRemove(id, out _);
    }
}
