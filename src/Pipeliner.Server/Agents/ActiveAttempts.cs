using System.Collections.Concurrent;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Attempts an agent is still carrying out. An attempt can be recorded as ended (canceled, lost) while its agent
/// still stops the job and writes the last lines of its log: the log is final only once the agent said done.
/// </summary>
public sealed class ActiveAttempts
{
    private readonly ConcurrentDictionary<AttemptKey, byte> _active = new();

    public void Add(AttemptKey key) => _active.TryAdd(key, 0);

    public void Remove(AttemptKey key) => _active.TryRemove(key, out _);

    public bool Contains(AttemptKey key) => _active.ContainsKey(key);
}
