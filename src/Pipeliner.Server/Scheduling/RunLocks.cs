using System.Collections.Concurrent;

namespace Pipeliner.Server.Scheduling;

/// <summary>One async lock per run: every change to a run (agent reports, approvals, cancels) happens one at a time.</summary>
public sealed class RunLocks
{
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();

    public async Task<IDisposable> AcquireAsync(long runId, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(runId, _ => new SemaphoreSlim(1, 1));
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
