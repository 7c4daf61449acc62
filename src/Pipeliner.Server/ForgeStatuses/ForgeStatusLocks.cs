using System.Collections.Concurrent;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// One async lock per status context: its updates reach the forge one at a time, so a delivery that checked it is the
/// newest cannot be overtaken on the wire by an older one.
/// </summary>
public sealed class ForgeStatusLocks
{
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();

    public async Task<IDisposable> AcquireAsync(long contextId, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(contextId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
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
