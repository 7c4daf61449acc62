using System.Collections.Concurrent;
using ZstdSharp;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// zstd compressors at <see cref="CompressedLog.Level"/>, kept for the next log: a new one allocates and clears its
/// match tables (level 3: about 1 MiB) for every log, which cost as much as compressing a 100 KB log itself (measured:
/// 265 MB per CPU-second new per log, 497 reused, the same bytes out). A reused compressor starts each frame afresh, so
/// its output is the same as a new one's. At most <see cref="MaxKept"/> are kept (sealing uses two threads).
/// </summary>
public sealed class ZstdCompressors : IDisposable
{
    private const int MaxKept = 4;
    private readonly ConcurrentBag<Compressor> _free = [];

    /// <summary>A compressor for this caller alone until the lease is disposed.</summary>
    public Lease Rent() => new(this, _free.TryTake(out var compressor) ? compressor : new Compressor(CompressedLog.Level));

    private void Return(Compressor compressor)
    {
        if (_free.Count < MaxKept) _free.Add(compressor);
        else compressor.Dispose();
    }

    public void Dispose()
    {
        while (_free.TryTake(out var compressor)) compressor.Dispose();
    }

    /// <summary>A rented compressor; disposing gives it back.</summary>
    public sealed class Lease(ZstdCompressors owner, Compressor compressor) : IDisposable
    {
        private Compressor? _compressor = compressor;

        public Compressor Compressor => _compressor ?? throw new ObjectDisposedException(nameof(Lease));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _compressor, null) is { } given) owner.Return(given);
        }
    }
}
