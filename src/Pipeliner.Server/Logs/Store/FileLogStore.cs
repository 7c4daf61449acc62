using System.Buffers;
using System.Globalization;
using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Dashboard;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// Logs as files under the data directory: <c>{attempt}.log</c> while the attempt runs (append-only, readable while it
/// grows), replaced by <c>{attempt}.log.zst</c> (independent zstd frames with an index, <see cref="CompressedLog"/>)
/// once final. The compressed file is complete before the plain one goes, so a reader always finds one of them; a
/// reader holding the plain file keeps reading it.
/// </summary>
public sealed class FileLogStore(DataLayout layout, LogCompletions completions, ZstdCompressors compressors, TimeProvider time, ILogger<FileLogStore> logger) : ILogStore
{
    public const string CompressedSuffix = ".zst";

    /// <summary>Writers of one log take turns; logs share a fixed number of locks (by the hash of their path).</summary>
    private readonly SemaphoreSlim[] _writers = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public string PlainPath(LogRef log) => Path.Combine(layout.Root, log.Path);

    public string CompressedPath(LogRef log) => PlainPath(log) + CompressedSuffix;

    public async Task AppendAsync(LogRef log, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        if (lines.Count == 0) return;
        using var _ = await LockAsync(log, cancellationToken);
        await ReopenAsync(log, cancellationToken);
        var path = PlainPath(log);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Unbuffered: the batch is written in one call, and a FileStream's buffer (64 KiB asked here before) was a new array
        // per batch, most of the bytes a burst of short runs allocated on this path (docs/performance.md, issue 15).
        await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        // The batch's bytes counted first, then written into one pooled buffer: a new growing buffer per batch was most of
        // what the embedded agent's log forwarding allocated.
        var length = 0;
        foreach (var line in lines) length += LogLineFormat.TimestampLength + 1 + Encoding.UTF8.GetByteCount(line.Text) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = 0;
            foreach (var line in lines)
            {
                LogLineFormat.WriteTimestamp(line.Timestamp, buffer.AsSpan(written));
                written += LogLineFormat.TimestampLength + 1;
                var text = buffer.AsSpan(written, Encoding.UTF8.GetBytes(line.Text, buffer.AsSpan(written)));
                text.Replace((byte)'\n', (byte)' '); // a line stays one line of the file
                written += text.Length;
                buffer[written++] = (byte)'\n';
            }

            await file.WriteAsync(buffer.AsMemory(0, written), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<long> LengthAsync(LogRef log, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(log, cancellationToken);
        return await ReceivedAsync(log, cancellationToken);
    }

    public async Task<LogAppendResult> AppendAsync(
        LogRef log, long offset, ReadOnlyMemory<byte> bytes, SecretMasker masker, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(log, cancellationToken);
        var received = await ReceivedAsync(log, cancellationToken);
        if (offset != received || bytes.Length == 0) return new LogAppendResult(offset == received, received, []);
        if (bytes.Span[^1] != (byte)'\n') throw new ArgumentException("a log batch must end at the end of a line");
        await ReopenAsync(log, cancellationToken);

        var (masked, lines) = MaskedBatch.Of(bytes, masker);
        var path = PlainPath(log);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The count is kept in a file of its own only once the stored log stops being the agent's bytes as they came
        // (a secret masked here, a note of Pipeliner's): until then the log's own length is the count, and a log needs
        // one file fewer (each file created costs, docs/performance.md "Logs at scale", fifth pass).
        var counted = File.Exists(ReceivedPath(log));
        var asSent = masked.Span.SequenceEqual(bytes.Span);
        // Counted before the lines when this batch changes them: a batch cut short by a crash is sent again rather than lost.
        if (!counted && !asSent) await WriteReceivedAsync(log, received);
        // Unbuffered, as above: the batch is one write, and the default 4 KiB buffer was a new array per batch smaller than it.
        await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
        {
            await file.WriteAsync(masked, cancellationToken);
        }

        // Written after the lines: a batch cut short by a crash is sent again rather than lost.
        var length = received + bytes.Length;
        if (counted || !asSent) await WriteReceivedAsync(log, length);
        return new LogAppendResult(true, length, lines);
    }

    private Task WriteReceivedAsync(LogRef log, long length) =>
        File.WriteAllTextAsync(ReceivedPath(log), length.ToString(CultureInfo.InvariantCulture), CancellationToken.None);

    public async Task<bool> CompleteAsync(LogRef log, long length, CancellationToken cancellationToken)
    {
        if (await LengthAsync(log, cancellationToken) != length) return false;
        completions.Add(log);
        return true;
    }

    public async Task AppendNoteAsync(LogRef log, string text, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(log, cancellationToken);
        // The note is not the agent's: from here the count of what the agent sent is kept apart from the log's length.
        if (!File.Exists(ReceivedPath(log)) && StoredLength(log, cutShortLine: false) is > 0 and var sent) await WriteReceivedAsync(log, sent);
        await ReopenAsync(log, cancellationToken);
        await JobLogWriter.AppendToAbandonedAsync(PlainPath(log), text, time);
    }

    public Stream OpenRead(LogRef log)
    {
        var plain = PlainPath(log);
        // Plain first: while it exists it is the log (a compressed copy may be being written next to it).
        var stream = TryOpen(plain);
        if (stream is not null) return stream;
        var compressed = TryOpen(CompressedPath(log));
        if (compressed is not null) return CompressedLog.OpenRead(compressed);
        // Compressed and removed between the two looks: the compressed file is there now.
        return TryOpen(plain) ?? (TryOpen(CompressedPath(log)) is { } late ? CompressedLog.OpenRead(late) : new MemoryStream([], writable: false));
    }

    public LogSlice Read(LogRef log, long offset, long maxBytes) => LogSlice.Of(OpenRead(log), offset, maxBytes);

    public async Task<(List<LogMatch> Matches, bool Truncated)> SearchAsync(LogRef log, string query, int limit, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(log);
        return await LogSearcher.SearchAsync(stream, query, limit, cancellationToken);
    }

    public Task CompleteAsync(LogRef log, CancellationToken cancellationToken)
    {
        completions.Add(log);
        return Task.CompletedTask;
    }

    public LogSize? SizeOf(LogRef log)
    {
        var plain = new FileInfo(PlainPath(log));
        if (plain.Exists) return new LogSize(plain.Length, plain.Length, Compressed: false);
        var compressed = new FileInfo(CompressedPath(log));
        if (!compressed.Exists) return null;
        try
        {
            using var stream = CompressedLog.OpenRead(compressed.OpenRead());
            return new LogSize(stream.Length, compressed.Length, Compressed: true);
        }
        catch (InvalidDataException)
        {
            return new LogSize(0, compressed.Length, Compressed: true);
        }
    }

    public long StoredBytes(LogRef log) => OnDisk(log).Sum(file => file.Length);

    public async Task<long> DeleteAsync(LogRef log, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(log, cancellationToken);
        long freed = 0;
        foreach (var file in OnDisk(log))
        {
            freed += file.Length;
            file.Delete();
        }

        // The job's folder goes with its last log, the run's logs folder with its last job.
        var folder = Path.GetDirectoryName(PlainPath(log))!;
        TryRemoveEmpty(folder);
        TryRemoveEmpty(Path.GetDirectoryName(folder)!);
        return freed;
    }

    /// <summary>The files of the attempt's logs that exist: plain, compressed, what a remote agent sent, its services' logs.</summary>
    private List<FileInfo> OnDisk(LogRef log)
    {
        var plain = PlainPath(log);
        var files = new List<FileInfo>();
        foreach (var path in (string[])[plain, CompressedPath(log), ReceivedPath(log)])
        {
            var file = new FileInfo(path);
            if (file.Exists) files.Add(file);
        }

        var folder = new DirectoryInfo(Path.GetDirectoryName(plain)!);
        // Services' logs are {attempt}.{service}.service.log beside the attempt's own (DataLayout.ServiceLog).
        if (folder.Exists) files.AddRange(folder.EnumerateFiles($"{log.Attempt.ToString(CultureInfo.InvariantCulture)}.*.service.log"));
        return files;
    }

    private static void TryRemoveEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (IOException)
        {
            // Something was written there meanwhile.
        }
    }

    /// <summary>
    /// Stores a final log compressed: the compressed file is written beside it and checked, then the plain one is
    /// removed. Nothing happens to a log that is already compressed or has no plain file.
    /// </summary>
    public async Task<bool> CompressAsync(LogRef log, CancellationToken cancellationToken)
    {
        using var _ = await LockAsync(log, cancellationToken);
        var plain = PlainPath(log);
        if (!File.Exists(plain)) return false;
        var compressed = CompressedPath(log);
        var temporary = compressed + ".tmp";
        // Unbuffered: the compression reads whole blocks, and a buffered stream's 4 KiB buffer and its lock for asynchronous
        // reads were new objects for every log sealed.
        await using (var source = new FileStream(plain, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0))
        {
            using (var compressor = compressors.Rent()) await CompressedLog.WriteAsync(source, temporary, compressor.Compressor, cancellationToken);
            // A writer that appended meanwhile would lose lines: keep the plain file then.
            if (source.Length != new FileInfo(plain).Length)
            {
                File.Delete(temporary);
                return false;
            }
        }

        File.Move(temporary, compressed, overwrite: true);
        File.Delete(plain);
        return true;
    }

    /// <summary>A compressed log that receives more lines becomes a plain one again (it is compressed again when it ends).</summary>
    private async Task ReopenAsync(LogRef log, CancellationToken cancellationToken)
    {
        var compressed = CompressedPath(log);
        var plain = PlainPath(log);
        if (File.Exists(plain) || !File.Exists(compressed)) return;
        logger.LogInformation("The final log {Log} receives more lines: it is stored uncompressed again", log.Path);
        var temporary = plain + ".tmp";
        await using (var source = CompressedLog.OpenRead(File.OpenRead(compressed)))
        await using (var target = File.Create(temporary))
        {
            await source.CopyToAsync(target, cancellationToken);
        }

        File.Move(temporary, plain);
        File.Delete(compressed);
    }

    /// <summary>
    /// How much of a remote agent's log has arrived, kept beside it (<c>{attempt}.log.received</c>) once the stored log
    /// differs from what the agent sent; before that, the stored log's length.
    /// </summary>
    private string ReceivedPath(LogRef log) => PlainPath(log) + ".received";

    private async Task<long> ReceivedAsync(LogRef log, CancellationToken cancellationToken)
    {
        var path = ReceivedPath(log);
        if (!File.Exists(path)) return StoredLength(log, cutShortLine: true);
        return long.TryParse(await File.ReadAllTextAsync(path, cancellationToken), NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : 0;
    }

    /// <summary>
    /// The length of the log's whole lines as stored (plain, else compressed; 0 when there is none). With
    /// <paramref name="cutShortLine"/>, a plain log whose last line was cut short (a crash while a batch was written) is
    /// cut back to its last whole line: the agent sends that line again, whole, so that it is masked as one.
    /// </summary>
    private long StoredLength(LogRef log, bool cutShortLine)
    {
        using var plain = TryOpen(PlainPath(log), cutShortLine ? FileAccess.ReadWrite : FileAccess.Read);
        if (plain is null) return SizeOf(log)?.Bytes ?? 0;
        var length = plain.Length;
        if (length == 0) return 0;
        plain.Position = length - 1;
        if (plain.ReadByte() == '\n') return length; // nearly always: one byte read
        Span<byte> tail = stackalloc byte[4096];
        for (var end = length; end > 0;)
        {
            var from = Math.Max(0, end - tail.Length);
            plain.Position = from;
            var read = tail[..(int)(end - from)];
            plain.ReadExactly(read);
            var newline = read.LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                if (cutShortLine) plain.SetLength(from + newline + 1);
                return from + newline + 1;
            }

            end = from;
        }

        if (cutShortLine) plain.SetLength(0);
        return 0;
    }

    private static FileStream? TryOpen(string path, FileAccess access = FileAccess.Read)
    {
        // Looked for first: a remote agent's first batch of every job finds no log yet, and an exception for it cost more
        // than the look (its message and stack trace built, docs/performance.md, issue 15). One removed meanwhile still throws.
        if (!File.Exists(path)) return null;
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = access,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private async Task<IDisposable> LockAsync(LogRef log, CancellationToken cancellationToken)
    {
        var gate = _writers[(int)((uint)StringComparer.Ordinal.GetHashCode(log.Path) % (uint)_writers.Length)];
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
