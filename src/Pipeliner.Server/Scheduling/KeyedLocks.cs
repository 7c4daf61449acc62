using System.Collections.Concurrent;

namespace Pipeliner.Server.Scheduling;

/// <summary>One async lock per key; each kind of lock derives its own type, so that it is registered on its own.</summary>
public abstract class KeyedLocks
{
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();

    public async Task<IDisposable> AcquireAsync(long key, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    /// <summary>The key's lock if it is free within <paramref name="wait"/>; null if another holds it that long.</summary>
    public async Task<IDisposable?> TryAcquireAsync(long key, TimeSpan wait)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(wait) ? new Releaser(gate) : null;
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
