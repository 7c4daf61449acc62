using System.Buffers;
using System.Collections.Concurrent;

namespace Pipeliner.Server.Dashboard;

/// <summary>Where a page of a log starts: a byte offset at a line start, and that line's 1-based number.</summary>
public sealed record LogPageStart(long Offset, long Line);

/// <summary>
/// Cuts logs into pages of about <see cref="PageBytes"/> bytes, each starting at a line, and counts lines, so that
/// the dashboard can show any part of a huge log with true line numbers while holding one page. Logs are
/// append-only: what was counted is kept per file and only the new bytes are read on the next call.
/// </summary>
public sealed class LogPageIndex
{
    /// <summary>The dashboard's page size (web/src/hooks/useLogDocument.ts reads as much before asking for pages).</summary>
    public const long PageBytes = 16 * 1024 * 1024;

    private const int MaxCachedLogs = 256;
    private const int ReadBufferBytes = 1024 * 1024;
    private readonly ConcurrentDictionary<string, Counted> _counted = new(StringComparer.Ordinal);

    /// <summary>The pages (those holding at least one byte), the line count and the size, read up to the end of the file.</summary>
    public async Task<(IReadOnlyList<LogPageStart> Pages, long Lines, long Size)> IndexAsync(
        string path, Stream log, CancellationToken cancellationToken)
    {
        var counted = _counted.GetOrAdd(path, _ => new Counted());
        await counted.Gate.WaitAsync(cancellationToken);
        try
        {
            // A file shorter than what was counted was replaced (a retry reusing the path in a new data directory).
            if (log.Length < counted.Scanned) counted.Reset();
            await counted.ScanAsync(log, cancellationToken);
            if (_counted.Count > MaxCachedLogs) Trim(path);
            var size = counted.Scanned;
            var pages = counted.Pages.Where(p => p.Offset < size || p.Offset == 0).ToList();
            var lines = counted.Newlines + (size > 0 && !counted.EndsWithNewline ? 1 : 0);
            return (pages, lines, size);
        }
        finally
        {
            counted.Gate.Release();
        }
    }

    private void Trim(string keep)
    {
        foreach (var key in _counted.Keys.Where(k => k != keep).Take(_counted.Count - MaxCachedLogs / 2)) _counted.TryRemove(key, out _);
    }

    private sealed class Counted
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public List<LogPageStart> Pages { get; } = [new(0, 1)];
        public long Scanned { get; private set; }
        public long Newlines { get; private set; }
        public bool EndsWithNewline { get; private set; }

        /// <summary>The next page starts at the first line start at or after this offset.</summary>
        private long _nextBoundary = PageBytes;

        public void Reset()
        {
            Pages.Clear();
            Pages.Add(new LogPageStart(0, 1));
            Scanned = 0;
            Newlines = 0;
            EndsWithNewline = false;
            _nextBoundary = PageBytes;
        }

        public async Task ScanAsync(Stream log, CancellationToken cancellationToken)
        {
            log.Seek(Scanned, SeekOrigin.Begin);
            var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
            try
            {
                int read;
                while ((read = await log.ReadAsync(buffer.AsMemory(0, ReadBufferBytes), cancellationToken)) > 0)
                {
                    Count(buffer.AsSpan(0, read));
                    Scanned += read;
                    EndsWithNewline = buffer[read - 1] == (byte)'\n';
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Count(ReadOnlySpan<byte> chunk)
        {
            var at = 0;
            while (at < chunk.Length)
            {
                // A line starting at or after the boundary follows the first newline at or after boundary - 1.
                var trigger = _nextBoundary - 1 - Scanned;
                if (trigger >= chunk.Length)
                {
                    Newlines += chunk[at..].Count((byte)'\n');
                    return;
                }

                var from = (int)Math.Max(at, trigger);
                Newlines += chunk[at..from].Count((byte)'\n');
                var newline = chunk[from..].IndexOf((byte)'\n');
                if (newline < 0)
                {
                    return;
                }

                var position = from + newline;
                Newlines++;
                var start = Scanned + position + 1;
                Pages.Add(new LogPageStart(start, Newlines + 1));
                _nextBoundary = (start / PageBytes + 1) * PageBytes;
                at = position + 1;
            }
        }
    }
}
