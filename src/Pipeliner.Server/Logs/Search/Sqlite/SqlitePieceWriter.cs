using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Pipeliner.Server.Logs.Store;
using static Pipeliner.Server.Logs.Search.Sqlite.SqliteIndexCommands;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>
/// Writing logs into the SQLite search index: each log's pieces read and turned into the words of their distinct
/// trigrams on one thread, written to SQLite on the caller's (<see cref="SqliteLogSearchIndex"/> lets one write at a time).
/// </summary>
internal sealed class SqlitePieceWriter
{
    /// <summary>The extracting thread's (one write at a time).</summary>
    private readonly TrigramTokens _trigrams = new();

    private char[] _folded = new char[16 * 1024];

    /// <summary>Writes the logs' pieces in one transaction on <paramref name="connection"/> (the caller writes alone).</summary>
    public async Task AddAsync(SqliteConnection connection, IReadOnlyList<LogToIndex> logs, CancellationToken cancellationToken)
    {
        // Two threads: one reads the logs' pieces and finds their trigrams (Extract), this one writes them to SQLite
        // (FTS5's insertions): on two cores the second half of sealing no longer waits for the first.
        var pieces = Channel.CreateBounded<Extracted>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var extracting = Task.Run(() => ExtractAsync(logs, pieces.Writer, stop.Token), CancellationToken.None);
        try
        {
            await WriteAllAsync(connection, pieces.Reader, extracting, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await extracting.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>What the extracting thread hands to the writing one: a log to record, then its pieces, then its end.</summary>
    private sealed record Extracted(LogToIndex? Log, IndexChunk? Chunk, string? Trigrams);

    /// <summary>Each log's pieces, folded to upper case and turned into the words of their distinct trigrams, in order.</summary>
    private async Task ExtractAsync(IReadOnlyList<LogToIndex> logs, ChannelWriter<Extracted> pieces, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var log in logs)
            {
                await pieces.WriteAsync(new Extracted(log, null, null), cancellationToken);
                await foreach (var chunk in log.Chunks.WithCancellation(cancellationToken))
                {
                    if (_folded.Length < chunk.Text.Length) _folded = new char[Math.Max(2 * _folded.Length, chunk.Text.Length)];
                    var folded = chunk.Text.AsSpan().ToUpperInvariant(_folded);
                    await pieces.WriteAsync(new Extracted(null, chunk with { Text = "" }, _trigrams.Of(_folded.AsSpan(0, folded))), cancellationToken);
                }

                await pieces.WriteAsync(new Extracted(null, null, null), cancellationToken);
            }
        }
        finally
        {
            // Ends the writer's loop; a failure is rethrown where the writer awaits this task.
            pieces.TryComplete();
        }
    }

    /// <summary>Records each log (replacing what the index held for it) and writes its pieces, numbered, in one transaction.</summary>
    /// <remarks>The extraction's failure (a log that cannot be read) is the write's: nothing is committed then.</remarks>
    private static async Task WriteAllAsync(SqliteConnection connection, ChannelReader<Extracted> pieces, Task extracting, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var addLog = Command(connection, """
            INSERT INTO runs (run_id, next_seq) VALUES ($run, 0) ON CONFLICT (run_id) DO NOTHING;
            INSERT INTO logs (run_id, job, attempt, path, project, branch, number, created) VALUES ($run, $job, $attempt, $path, $project, $branch, $number, $created);
            SELECT last_insert_rowid();
            SELECT next_seq FROM runs WHERE run_id = $run;
            """);
        await using var addChunk = Command(connection, """
            INSERT INTO chunks (id, log_id, first_line, offset, length) VALUES ($id, $log, $line, $offset, $length);
            INSERT INTO chunk_text (rowid, text) VALUES ($id, $text);
            """);
        await using var store = Command(connection, "UPDATE runs SET next_seq = $next WHERE run_id = $run");
        var pending = new List<PendingChunk>();
        var pendingChars = 0L;
        LogRef? current = null;
        long logId = 0, next = 0, heldRun = 0;
        await foreach (var piece in pieces.ReadAllAsync(cancellationToken))
        {
            if (piece.Log is { } log)
            {
                // A log of a later run than every piece held back: those pieces go now (in order, below every id to
                // come), while the other thread reads this log: the two halves of indexing overlap instead of the
                // writing waiting for the whole batch to be read. Logs of one run (descending ids) stay together.
                if (pending.Count > 0 && log.Log.Log.RunId > heldRun)
                {
                    await WriteAsync(addChunk, pending, cancellationToken);
                    pendingChars = 0;
                }

                current = log.Log.Log;
                (logId, next) = await AddLogAsync(connection, log.Log, addLog, cancellationToken);
            }
            else if (piece.Chunk is { } chunk)
            {
                pending.Add(new PendingChunk(RowId(current!.RunId, next++), logId, chunk, piece.Trigrams!));
                heldRun = Math.Max(heldRun, current.RunId);
                pendingChars += piece.Trigrams!.Length;
                if (pendingChars < MaxPendingChars) continue;
                await WriteAsync(addChunk, pending, cancellationToken);
                pendingChars = 0;
            }
            else
            {
                store.Parameters.Clear();
                store.Parameters.AddWithValue("$next", next);
                store.Parameters.AddWithValue("$run", current!.RunId);
                await Guard(() => store.ExecuteNonQueryAsync(cancellationToken));
            }
        }

        await extracting;
        await WriteAsync(addChunk, pending, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A piece ready to be written: its row and the words of its trigrams.</summary>
    private sealed record PendingChunk(long Id, long LogId, IndexChunk Chunk, string Trigrams);

    /// <summary>Pieces are held back up to about this many characters of trigrams (16 MiB), to be written in the order of their ids.</summary>
    private const long MaxPendingChars = 8L << 20;

    /// <summary>
    /// Writes the pieces in ascending id order: FTS5 writes out everything it gathered (a segment of its own, sorted,
    /// later merged) whenever an id is lower than the one before, which a run's pieces (descending ids) would do at
    /// each piece: 5 times the work, measured.
    /// </summary>
    private static async Task WriteAsync(SqliteCommand addChunk, List<PendingChunk> pending, CancellationToken cancellationToken)
    {
        pending.Sort((a, b) => a.Id.CompareTo(b.Id));
        addChunk.Parameters.Clear();
        var id = addChunk.Parameters.Add("$id", SqliteType.Integer);
        var log = addChunk.Parameters.Add("$log", SqliteType.Integer);
        var line = addChunk.Parameters.Add("$line", SqliteType.Integer);
        var offset = addChunk.Parameters.Add("$offset", SqliteType.Integer);
        var length = addChunk.Parameters.Add("$length", SqliteType.Integer);
        var text = addChunk.Parameters.Add("$text", SqliteType.Text);
        foreach (var chunk in pending)
        {
            id.Value = chunk.Id;
            log.Value = chunk.LogId;
            line.Value = chunk.Chunk.FirstLine;
            offset.Value = chunk.Chunk.Offset;
            length.Value = chunk.Chunk.Length;
            text.Value = chunk.Trigrams;
            await Guard(() => addChunk.ExecuteNonQueryAsync(cancellationToken));
        }

        pending.Clear();
    }

    /// <summary>Records the log, replacing what the index held for it: its row's id and the run's next piece number.</summary>
    private static async Task<(long LogId, long Next)> AddLogAsync(SqliteConnection connection, IndexedLog log, SqliteCommand addLog, CancellationToken cancellationToken)
    {
        var reference = log.Log;
        await RemoveAsync(connection, reference, cancellationToken);
        addLog.Parameters.Clear();
        Bind(addLog, reference);
        addLog.Parameters.AddWithValue("$path", reference.Path);
        addLog.Parameters.AddWithValue("$project", log.Project);
        addLog.Parameters.AddWithValue("$branch", (object?)log.Branch ?? DBNull.Value);
        addLog.Parameters.AddWithValue("$number", log.Number);
        addLog.Parameters.AddWithValue("$created", log.Created.UtcTicks);
        await using var reader = await Guard(() => addLog.ExecuteReaderAsync(cancellationToken));
        return await AddedLogIds.ReadAsync(reader, cancellationToken);
    }

    public static long RowId(long runId, long sequence) => (runId << 32) + (uint.MaxValue - sequence);

    public static async Task RemoveAsync(SqliteConnection connection, LogRef log, CancellationToken cancellationToken)
    {
        // Looked up first: a log is mostly indexed once, and the deletions cost more than a lookup even when nothing goes.
        await using var find = Command(connection, "SELECT id FROM logs WHERE run_id = $run AND job = $job AND attempt = $attempt");
        Bind(find, log);
        if (await Guard(() => find.ExecuteScalarAsync(cancellationToken)) is not long logId) return;
        await using var command = Command(connection, """
            DELETE FROM chunk_text WHERE rowid IN (SELECT id FROM chunks WHERE log_id = $log);
            DELETE FROM chunks WHERE log_id = $log;
            DELETE FROM logs WHERE id = $log;
            """);
        command.Parameters.AddWithValue("$log", logId);
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
    }
}
