using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using ZstdSharp;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// Logs in the database (<c>Pipeliner:Storage:Provider=database</c>), so that replicas share them without a shared disk:
/// a <see cref="StoredLogEntity"/> row per log (its length, how much of a remote agent's log arrived) and its bytes as
/// <see cref="LogChunkEntity"/> rows (bytea on PostgreSQL), one per append while the attempt runs. Each append grows the
/// row and adds its chunk in one transaction, conditionally on the agent's offset, so two replicas never store a batch
/// twice or out of place. A final log is compacted into zstd chunks of <see cref="CompressedLog.BlockBytes"/>; reads
/// answer the same bytes either way. The embedded agent's lines come through <see cref="AppendAsync(LogRef, IReadOnlyList{LogLine}, CancellationToken)"/>.
/// </summary>
public sealed class DatabaseLogStore(IServiceScopeFactory scopes, LogCompletions completions, ZstdCompressors compressors, TimeProvider time, ILogger<DatabaseLogStore> logger) : ILogStore
{
    public async Task AppendAsync(LogRef log, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        if (lines.Count == 0) return;
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (var line in lines) Format(buffer, line.Timestamp, line.Text);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await EnsureAsync(db, log, cancellationToken);
        await AppendBytesAsync(db, log, buffer.WrittenMemory, received: null, 0, cancellationToken);
    }

    public async Task<long> LengthAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.StoredLogs.Where(l => l.Path == log.Path).Select(l => (long?)l.Received).SingleOrDefaultAsync(cancellationToken) ?? 0;
    }

    public async Task<LogAppendResult> AppendAsync(LogRef log, long offset, ReadOnlyMemory<byte> bytes, SecretMasker masker, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var received = await db.StoredLogs.Where(l => l.Path == log.Path).Select(l => (long?)l.Received).SingleOrDefaultAsync(cancellationToken) ?? 0;
        if (offset != received || bytes.Length == 0) return new LogAppendResult(offset == received, received, []);
        if (bytes.Span[^1] != (byte)'\n') throw new ArgumentException("a log batch must end at the end of a line");

        var (masked, lines) = MaskedBatch.Of(bytes, masker);
        await EnsureAsync(db, log, cancellationToken);
        if (!await AppendBytesAsync(db, log, masked, received: bytes.Length, offset, cancellationToken))
        {
            // Another replica stored a batch at this offset meanwhile (the agent resent it): say how much there is.
            var now = await LengthAsync(log, cancellationToken);
            return new LogAppendResult(offset == now, now, []);
        }

        return new LogAppendResult(true, received + bytes.Length, lines);
    }

    public async Task<bool> CompleteAsync(LogRef log, long length, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        if (length == 0) await EnsureAsync(db, log, cancellationToken);
        var marked = await db.StoredLogs.Where(l => l.Path == log.Path && l.Received == length)
            .ExecuteUpdateAsync(set => set.SetProperty(l => l.Final, true), cancellationToken);
        if (marked == 0) return false;
        completions.Add(log);
        return true;
    }

    public async Task AppendNoteAsync(LogRef log, string text, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await EnsureAsync(db, log, cancellationToken);
        var buffer = new ArrayBufferWriter<byte>(256);
        // A line cut off by its writer's death is ended first.
        if (LastByte(db, log) is { } last && last != (byte)'\n') buffer.Write("\n"u8);
        Format(buffer, time.GetUtcNow(), text);
        await AppendBytesAsync(db, log, buffer.WrittenMemory, received: null, 0, cancellationToken);
    }

    public Stream OpenRead(LogRef log) => DatabaseLogStream.Open(scopes, log.Path);

    public LogSlice Read(LogRef log, long offset, long maxBytes) => LogSlice.Of(OpenRead(log), offset, maxBytes);

    public async Task<(List<LogMatch> Matches, bool Truncated)> SearchAsync(LogRef log, string query, int limit, CancellationToken cancellationToken)
    {
        await using var stream = OpenRead(log);
        return await LogSearcher.SearchAsync(stream, query, limit, cancellationToken);
    }

    public async Task CompleteAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await EnsureAsync(db, log, cancellationToken);
        await db.StoredLogs.Where(l => l.Path == log.Path).ExecuteUpdateAsync(set => set.SetProperty(l => l.Final, true), cancellationToken);
        completions.Add(log);
    }

    /// <summary>
    /// Compacts the plain chunks of a final log into zstd chunks of about <see cref="CompressedLog.BlockBytes"/>, a group at
    /// a time; each group is replaced in one transaction that first removes exactly those chunks, so two replicas
    /// compacting the same log at once never lose or double a byte.
    /// </summary>
    public async Task<bool> CompressAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var plain = await db.LogChunks.AsNoTracking().Where(c => c.Path == log.Path && !c.Compressed)
            .OrderBy(c => c.Offset).Select(c => new { c.Offset, c.Length }).ToListAsync(cancellationToken);
        if (plain.Count == 0) return false;
        var compacted = false;
        using var lease = compressors.Rent();
        var compressor = lease.Compressor;
        var group = new List<long>();
        long groupBytes = 0, next = -1;
        for (var i = 0; i <= plain.Count; i++)
        {
            var contiguous = i < plain.Count && (group.Count == 0 || plain[i].Offset == next);
            if (i < plain.Count && contiguous && groupBytes + plain[i].Length <= CompressedLog.BlockBytes)
            {
                group.Add(plain[i].Offset);
                groupBytes += plain[i].Length;
                next = plain[i].Offset + plain[i].Length;
                continue;
            }

            if (group.Count > 0) compacted |= await CompactAsync(db, log, group, compressor, cancellationToken);
            group.Clear();
            groupBytes = 0;
            if (i < plain.Count)
            {
                group.Add(plain[i].Offset);
                groupBytes = plain[i].Length;
                next = plain[i].Offset + plain[i].Length;
            }
        }

        return compacted;
    }

    private static async Task<bool> CompactAsync(PipelinerDbContext db, LogRef log, List<long> offsets, Compressor compressor, CancellationToken cancellationToken)
    {
        var chunks = await db.LogChunks.AsNoTracking().Where(c => c.Path == log.Path && offsets.Contains(c.Offset) && !c.Compressed)
            .OrderBy(c => c.Offset).ToListAsync(cancellationToken);
        if (chunks.Count != offsets.Count) return false;
        var plain = chunks.SelectMany(c => c.Data).ToArray();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var removed = await db.LogChunks.Where(c => c.Path == log.Path && offsets.Contains(c.Offset) && !c.Compressed).ExecuteDeleteAsync(cancellationToken);
        if (removed != offsets.Count) return false; // compacted by another replica meanwhile: the transaction rolls back
        db.LogChunks.Add(new LogChunkEntity
        {
            Path = log.Path, Offset = offsets[0], Length = plain.Length, Compressed = true, Data = compressor.Wrap(plain).ToArray(),
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return true;
    }

    public LogSize? SizeOf(LogRef log)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var row = db.StoredLogs.AsNoTracking().Where(l => l.Path == log.Path).Select(l => new { l.Length }).SingleOrDefault();
        if (row is null) return null;
        var chunks = db.LogChunks.Where(c => c.Path == log.Path)
            .GroupBy(c => c.Path).Select(g => new { Stored = g.Sum(c => (long)c.Data.Length), Plain = g.Count(c => !c.Compressed) }).SingleOrDefault();
        return new LogSize(row.Length, chunks?.Stored ?? 0, Compressed: chunks is { Plain: 0 });
    }

    public long StoredBytes(LogRef log) => SizeOf(log)?.StoredBytes ?? 0;

    public async Task<long> DeleteAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var stored = await db.LogChunks.Where(c => c.Path == log.Path).SumAsync(c => (long)c.Data.Length, cancellationToken);
        await db.LogChunks.Where(c => c.Path == log.Path).ExecuteDeleteAsync(cancellationToken);
        await db.StoredLogs.Where(l => l.Path == log.Path).ExecuteDeleteAsync(cancellationToken);
        return stored;
    }

    /// <summary>
    /// Grows the log by <paramref name="bytes"/> and stores them as its next chunk, in one transaction; with
    /// <paramref name="received"/> only when the agent's log has exactly <paramref name="offset"/> bytes (false otherwise).
    /// The update locks the log's row until the commit, so appends to one log from several replicas take turns.
    /// </summary>
    private async Task<bool> AppendBytesAsync(
        PipelinerDbContext db, LogRef log, ReadOnlyMemory<byte> bytes, long? received, long offset, CancellationToken cancellationToken)
    {
        var length = bytes.Length;
        var grown = received ?? 0;
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rows = db.StoredLogs.Where(l => l.Path == log.Path);
        if (received is not null) rows = rows.Where(l => l.Received == offset);
        var updated = await rows.ExecuteUpdateAsync(set => set
            .SetProperty(l => l.Length, l => l.Length + length)
            .SetProperty(l => l.Received, l => l.Received + grown)
            .SetProperty(l => l.Final, false)
            .SetProperty(l => l.UpdatedAt, now), cancellationToken);
        if (updated == 0) return false;
        var end = await db.StoredLogs.Where(l => l.Path == log.Path).Select(l => l.Length).SingleAsync(cancellationToken);
        db.LogChunks.Add(new LogChunkEntity { Path = log.Path, Offset = end - length, Length = length, Data = bytes.ToArray() });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return true;
    }

    /// <summary>The log's row, made when it is missing (two replicas making it at once: one row).</summary>
    private async Task EnsureAsync(PipelinerDbContext db, LogRef log, CancellationToken cancellationToken)
    {
        if (await db.StoredLogs.AnyAsync(l => l.Path == log.Path, cancellationToken)) return;
        db.StoredLogs.Add(new StoredLogEntity { Path = log.Path, UpdatedAt = time.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            logger.LogDebug("The log {Log} was made by another writer meanwhile", log.Path);
        }

        db.ChangeTracker.Clear();
    }

    private static byte? LastByte(PipelinerDbContext db, LogRef log)
    {
        using var stream = DatabaseLogStream.Open(db, log.Path);
        if (stream.Length == 0) return null;
        stream.Seek(-1, SeekOrigin.End);
        return (byte)stream.ReadByte();
    }

    /// <summary>A stored line: <c>{timestamp} {text}</c> and a line feed (a line feed in the text becomes a space).</summary>
    private static void Format(ArrayBufferWriter<byte> buffer, DateTimeOffset timestamp, string text)
    {
        LogLineFormat.WriteTimestamp(timestamp, buffer.GetSpan(LogLineFormat.TimestampLength + 1));
        buffer.Advance(LogLineFormat.TimestampLength + 1);
        EncodingExtensions.GetBytes(Encoding.UTF8, text.Replace('\n', ' '), buffer);
        buffer.Write("\n"u8);
    }

}
