using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// One attempt's log: the attempt, and where its log lives relative to the data directory (the attempt row's
/// <c>LogPath</c>; <see cref="LogRef.For"/> gives the layout's path for a new one).
/// </summary>
public sealed record LogRef(long RunId, string JobId, int Attempt, string Path)
{
    /// <summary>The log of a new attempt, where the layout puts it (as <c>RunStore</c> records it).</summary>
    public static LogRef For(DataLayout layout, long runId, string jobId, int attempt) =>
        new(runId, jobId, attempt, layout.Relative(layout.JobLog(RunStore.RunKey(runId), jobId, attempt)));

    public static LogRef Of(long runId, string jobId, AttemptEntity attempt) => new(runId, jobId, attempt.Number, attempt.LogPath);
}

/// <summary>The answer to an agent's append: the bytes of the agent's log the store holds, and the lines it stored now.</summary>
public sealed record LogAppendResult(bool Accepted, long Length, IReadOnlyList<LogLine> Lines);

/// <summary>The bytes of a log that an answer covers: <see cref="Content"/> holds <see cref="Length"/> bytes from <see cref="Start"/>.</summary>
public sealed record LogSlice(Stream Content, long Start, long Length, long Total)
{
    /// <summary>At most <paramref name="maxBytes"/> of a whole log's <paramref name="stream"/> from <paramref name="offset"/> (clamped to its end).</summary>
    public static LogSlice Of(Stream stream, long offset, long maxBytes)
    {
        var total = stream.Length;
        var start = Math.Clamp(offset, 0, total);
        var length = Math.Min(total - start, maxBytes);
        stream.Seek(start, SeekOrigin.Begin);
        return new LogSlice(new BoundedStream(stream, length), start, length, total);
    }
}

/// <summary>What a log takes: its bytes as served, its bytes on disk, whether it is stored compressed.</summary>
public sealed record LogSize(long Bytes, long StoredBytes, bool Compressed);

/// <summary>
/// The one place where the server keeps and reads job logs. A log is the line format of <see cref="LogLineFormat"/>,
/// appended while its attempt runs and final once <see cref="CompleteAsync"/> was called (then it may be stored
/// compressed and is indexed for search); every read answers the same bytes whatever the storage. Implementations: files
/// in the data directory (<see cref="FileLogStore"/>, the default) and the database (<see cref="DatabaseLogStore"/>, shared
/// by replicas), chosen by <c>Pipeliner:Storage:Provider</c>. Everything goes through here, whatever the store: the embedded
/// agent's lines as it hears them, remote agents' batches (by byte offset), Pipeliner's own notes, reads, deletion.
/// </summary>
public interface ILogStore
{
    /// <summary>Lines from an agent, already masked, stored after what is there (a final log is reopened first).</summary>
    Task AppendAsync(LogRef log, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken);

    /// <summary>How many bytes of a remote agent's log the store holds (what <see cref="AppendAsync(LogRef, long, ReadOnlyMemory{byte}, SecretMasker, CancellationToken)"/> accepted).</summary>
    Task<long> LengthAsync(LogRef log, CancellationToken cancellationToken);

    /// <summary>
    /// A remote agent's batch: whole lines in the stored format, each ending with a line feed, masked again here. Stored
    /// only when <paramref name="offset"/> is <see cref="LengthAsync"/> (a batch resent after a network error is not
    /// stored twice); otherwise nothing is stored and the answer says the length.
    /// </summary>
    Task<LogAppendResult> AppendAsync(LogRef log, long offset, ReadOnlyMemory<byte> bytes, SecretMasker masker, CancellationToken cancellationToken);

    /// <summary>A remote agent's attempt ended: true when the store holds exactly <paramref name="length"/> bytes of its log (then the log is final).</summary>
    Task<bool> CompleteAsync(LogRef log, long length, CancellationToken cancellationToken);

    /// <summary>A line from Pipeliner at the end of a log whose writer is gone; a line cut off by its death is ended first.</summary>
    Task AppendNoteAsync(LogRef log, string text, CancellationToken cancellationToken);

    /// <summary>The whole log, readable and seekable while it grows; empty when nothing was written.</summary>
    Stream OpenRead(LogRef log);

    /// <summary>At most <paramref name="maxBytes"/> from <paramref name="offset"/> (clamped to the end): reading a range, or tailing.</summary>
    LogSlice Read(LogRef log, long offset, long maxBytes);

    /// <summary>The lines holding <paramref name="query"/> in any case, as the viewer shows them, at most <paramref name="limit"/>.</summary>
    Task<(List<LogMatch> Matches, bool Truncated)> SearchAsync(LogRef log, string query, int limit, CancellationToken cancellationToken);

    /// <summary>The attempt ended and its writer (the embedded agent) wrote its last line: the log is final (indexed and compressed soon after).</summary>
    Task CompleteAsync(LogRef log, CancellationToken cancellationToken);

    /// <summary>Stores a final log in its compact form (false: nothing to do, or it changed meanwhile); reads stay the same.</summary>
    Task<bool> CompressAsync(LogRef log, CancellationToken cancellationToken);

    /// <summary>How big the log is (null: none was written or it was removed).</summary>
    LogSize? SizeOf(LogRef log);

    /// <summary>The bytes the attempt's logs take on disk (its log, compressed or not, and its services' logs); 0 when none.</summary>
    long StoredBytes(LogRef log);

    /// <summary>Removes the attempt's logs from disk (retention: its log and its services' logs); returns the bytes freed.</summary>
    Task<long> DeleteAsync(LogRef log, CancellationToken cancellationToken);
}
