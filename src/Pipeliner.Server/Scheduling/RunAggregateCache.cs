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
}

/// <summary>
/// The most recently changed unfinished runs (<see cref="Capacity"/> at most). An entry is taken out while a change uses
/// it and put back after a successful save, so an evicted entry is never one in use; anything that fails drops it,
/// and the next change loads the run from the database.
/// </summary>
public sealed class RunAggregateCache : IAsyncDisposable
{
    public const int Capacity = 32;
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
            return node.Value.Loaded;
        }
    }

    /// <summary>Keeps the run's aggregate for its next change; the least recently changed run is dropped when full.</summary>
    public async ValueTask PutAsync(long runId, LoadedRun loaded)
    {
        LoadedRun? dropped = null;
        lock (_gate)
        {
            if (_entries.Remove(runId, out var old))
            {
                _recent.Remove(old);
                dropped = old.Value.Loaded;
            }

            _entries[runId] = _recent.AddFirst((runId, loaded));
            if (dropped is null && _entries.Count > Capacity)
            {
                var last = _recent.Last!;
                _recent.RemoveLast();
                _entries.Remove(last.Value.RunId);
                dropped = last.Value.Loaded;
            }
        }

        if (dropped is not null) await dropped.Scope.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        List<LoadedRun> all;
        lock (_gate)
        {
            all = [.. _recent.Select(e => e.Loaded)];
            _recent.Clear();
            _entries.Clear();
        }

        foreach (var loaded in all) await loaded.Scope.DisposeAsync();
    }
}
