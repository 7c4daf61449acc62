using System.Collections.Concurrent;
using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Attempts an agent is still carrying out. An attempt can be recorded as ended (canceled, lost) while its agent
/// still stops the job and writes the last lines of its log: the log is final only once the agent said done.
/// Each one claimed or ended is noted as work for the idle page-out (<see cref="ServerWork"/>).
/// </summary>
public sealed class ActiveAttempts(ServerWork work)
{
    private readonly ConcurrentDictionary<AttemptKey, byte> _active = new();

    public void Add(AttemptKey key)
    {
        _active.TryAdd(key, 0);
        work.Note();
    }

    public void Remove(AttemptKey key)
    {
        _active.TryRemove(key, out _);
        work.Note();
    }

    /// <summary>Whether any attempt is being carried out by an agent of this process.</summary>
    public bool Any => !_active.IsEmpty;

    public bool Contains(AttemptKey key) => _active.ContainsKey(key);
}
