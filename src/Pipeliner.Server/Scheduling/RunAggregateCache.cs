using Pipeliner.Core.Runs;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Scheduling;

/// <summary>
/// An unfinished run's aggregate as the coordinator last saved it: the scope whose database context tracks the run's
/// entities, the entities and the <see cref="Run"/> built from them. The coordinator is the only writer of a run's
/// progress and changes a run under its lock, so the next change can start from this instead of loading the run (all
/// its jobs, attempts and its plan) again: a change then costs the same whatever the run's size, bar the save.
/// </summary>
public sealed record LoadedRun(AsyncServiceScope Scope, RunEntity Entity, Run Run)
{
    /// <summary>The run's job rows by job id.</summary>
    public IReadOnlyDictionary<string, JobEntity> JobsById { get; } = Entity.Jobs.ToDictionary(j => j.JobId, StringComparer.Ordinal);

    /// <summary><see cref="Data.ProjectWrites.Stamp"/> when the run's project row was last read.</summary>
    public long ProjectStamp { get; set; }
}

/// <summary>
/// The most recently changed unfinished runs: at most <see cref="Capacity"/> of them and, bar the newest,
/// <see cref="JobBudget"/> jobs in all (a run's cached aggregate grows with its jobs). An entry is taken out while a change
/// uses it and put back after a successful save, so an evicted entry is never one in use; anything that fails drops it,
/// and the next change loads the run from the database.
/// </summary>
public sealed class RunAggregateCache : IAsyncDisposable
{
    /// <summary>
    /// Enough for the runs a burst of pushes queues behind busy agents: each such run is changed again when an agent claims
    /// its job, and a run evicted meanwhile is read whole again for that claim (five queries and its plan parsed), which was
    /// the claim's largest cost in a 100-run burst with 32 (docs/performance.md, issue 15).
    /// </summary>
    public const int Capacity = 128;

    /// <summary>Jobs in all the cached runs but the newest: a few large runs take the place of many small ones.</summary>
    public const int JobBudget = 4096;

    private int _jobs;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, LinkedListNode<(long RunId, LoadedRun Loaded)>> _entries = [];
    private readonly LinkedList<(long RunId, LoadedRun Loaded)> _recent = new();

    /// <summary>The run's cached aggregate, removed from the cache; null when it is not cached.</summary>
    public LoadedRun? Take(long runId)
    {
        lock (_gate)
        {
            if (!_entries.Remove(runId, out var node)) return null;
            _recent.Remove(node);
            _jobs -= JobsOf(node.Value.Loaded);
            return node.Value.Loaded;
        }
    }

    /// <summary>
    /// Keeps the run's aggregate for its next change; the least recently changed runs are dropped while there are more
    /// than <see cref="Capacity"/> or more than <see cref="JobBudget"/> jobs in the others.
    /// </summary>
    public async ValueTask PutAsync(long runId, LoadedRun loaded)
    {
        List<LoadedRun> dropped = [];
        lock (_gate)
        {
            if (_entries.Remove(runId, out var old))
            {
                _recent.Remove(old);
                _jobs -= JobsOf(old.Value.Loaded);
                if (!ReferenceEquals(old.Value.Loaded, loaded)) dropped.Add(old.Value.Loaded);
            }

            _entries[runId] = _recent.AddFirst((runId, loaded));
            _jobs += JobsOf(loaded);
            while (_recent.Count > 1 && (_recent.Count > Capacity || _jobs - JobsOf(loaded) > JobBudget))
            {
                var last = _recent.Last!;
                _recent.RemoveLast();
                _entries.Remove(last.Value.RunId);
                _jobs -= JobsOf(last.Value.Loaded);
                dropped.Add(last.Value.Loaded);
            }
        }

        foreach (var run in dropped) await run.Scope.DisposeAsync();
    }

    /// <summary>How many runs are cached now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _recent.Count;
        }
    }

    private static int JobsOf(LoadedRun loaded) => loaded.Entity.Jobs.Count;

    public async ValueTask DisposeAsync()
    {
        List<LoadedRun> all;
        lock (_gate)
        {
            all = [.. _recent.Select(e => e.Loaded)];
            _recent.Clear();
            _entries.Clear();
            _jobs = 0;
        }

        foreach (var loaded in all) await loaded.Scope.DisposeAsync();
    }
}
