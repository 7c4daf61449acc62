using System.Collections.Concurrent;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// How much of a remote agent's log has arrived (what <c>{attempt}.log.received</c> says), as this process last wrote it,
/// with the plain log's length right after: while the log still has that length, nothing else has written to it (another
/// replica's batch, a note, a reopening all make it longer, a compression removes it), so the mark need not be read again.
/// Every batch and the attempt's end read the mark; this makes that a stat of the log instead of reading a file.
/// </summary>
internal sealed class ReceivedLengths
{
    private const int MaxKept = 4096;
    private readonly ConcurrentDictionary<string, (long Received, long LogLength)> _kept = new(StringComparer.Ordinal);

    /// <summary>Called (under the log's writer lock) once the mark says <paramref name="received"/>.</summary>
    public void Remember(string plainPath, long received)
    {
        var log = new FileInfo(plainPath);
        if (!log.Exists) return;
        if (_kept.Count >= MaxKept) _kept.Clear();
        _kept[plainPath] = (received, log.Length);
    }

    /// <summary>The received length remembered for the log, if the log is still exactly as long as when it was remembered.</summary>
    public long? Known(string plainPath)
    {
        if (!_kept.TryGetValue(plainPath, out var kept)) return null;
        var log = new FileInfo(plainPath);
        if (log.Exists && log.Length == kept.LogLength) return kept.Received;
        _kept.TryRemove(plainPath, out _);
        return null;
    }

    public void Forget(string plainPath) => _kept.TryRemove(plainPath, out _);
}
