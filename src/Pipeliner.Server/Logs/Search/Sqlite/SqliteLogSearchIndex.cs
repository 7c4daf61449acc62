using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>
/// The search index in a SQLite file of its own (<c>search.db</c> in the data directory), apart from the main
/// database so that indexing never holds the main database's write lock and a damaged index is simply replaced.
/// Pieces of logs are rows of a contentless FTS5 table with <c>detail=none</c> whose words are the piece's distinct
/// trigrams (<see cref="TrigramTokens"/>): it keeps which trigrams each piece holds, not the text (about a tenth of
/// the text's size), and answers a query as "pieces holding every trigram of it", which the log itself then confirms.
/// Text is indexed in upper case (the way .NET's case-insensitive comparison folds it), so that the index agrees with
/// the check against the log. An index of an older format is emptied when opened and built again by the sealer.
/// A piece's rowid is <c>run × 2³² + (2³² − 1 − n)</c> for the run's n-th piece, so that reading in descending rowid
/// order gives the newest run first and each run's pieces in order, with no sorting.
/// </summary>
public sealed class SqliteLogSearchIndex : ILogSearchIndex, IDisposable
{
    private const string CaughtUpKey = "caught-up-to";
    private readonly string _path;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ILogger<SqliteLogSearchIndex> _logger;

    /// <summary>The extracting thread's (under <see cref="_writer"/>).</summary>
    private readonly TrigramTokens _trigrams = new();

    private char[] _folded = new char[16 * 1024];
    private volatile bool _created;

    /// <summary>
    /// Pieces of 1,000 lines: each distinct trigram of a piece is one entry of the index, so larger pieces make it smaller
    /// and cheaper to fill (measured on 30 MB: 0.15× the text with 100 lines, 0.09× with 400, and a third less CPU; on
    /// the benchmark's corpus 2,264 distinct trigrams per 400 lines and 3,595 per 1,000, i.e. 47 % fewer entries).
    /// The same size as on PostgreSQL. Pieces already indexed keep their size: a piece's row holds its own range.
    /// </summary>
    public int LinesPerChunk => 1000;

    public SqliteLogSearchIndex(string path, ILogger<SqliteLogSearchIndex> logger)
    {
        _path = path;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public async Task<bool> ContainsAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM logs WHERE run_id = $run AND job = $job AND attempt = $attempt";
        Bind(command, log);
        return await Guard(() => command.ExecuteScalarAsync(cancellationToken)) is not null;
    }

    public async Task AddAsync(IReadOnlyList<LogToIndex> logs, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            // Two threads: one reads the logs' pieces and finds their trigrams (Extract), this one writes them to SQLite
            // (FTS5's insertions): on two cores the second half of sealing no longer waits for the first.
            var pieces = Channel.CreateBounded<Extracted>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var extracting = Task.Run(() => ExtractAsync(logs, pieces.Writer, stop.Token), CancellationToken.None);
            try
            {
                await WriteAllAsync(pieces.Reader, extracting, cancellationToken);
            }
            finally
            {
                await stop.CancelAsync();
                await extracting.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        finally
        {
            _writer.Release();
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
    private async Task WriteAllAsync(ChannelReader<Extracted> pieces, Task extracting, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
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
        long logId = 0, next = 0;
        await foreach (var piece in pieces.ReadAllAsync(cancellationToken))
        {
            if (piece.Log is { } log)
            {
                current = log.Log.Log;
                (logId, next) = await AddLogAsync(connection, log.Log, addLog, cancellationToken);
            }
            else if (piece.Chunk is { } chunk)
            {
                pending.Add(new PendingChunk(RowId(current!.RunId, next++), logId, chunk, piece.Trigrams!));
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

    public async Task RemoveAsync(LogRef log, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await RemoveAsync(connection, log, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    public async Task RemoveRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken)
    {
        if (runIds.Count == 0) return;
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            // All the runs in one statement each (their ids as a JSON array), not three statements per run.
            await using var command = Command(connection, """
                CREATE TEMP TABLE IF NOT EXISTS gone_logs (id INTEGER PRIMARY KEY);
                DELETE FROM gone_logs;
                INSERT INTO gone_logs (id) SELECT id FROM logs WHERE run_id IN (SELECT value FROM json_each($runs));
                SELECT count(*) FROM chunks c JOIN gone_logs g ON g.id = c.log_id;
                DELETE FROM chunk_text WHERE rowid IN (SELECT c.id FROM chunks c JOIN gone_logs g ON g.id = c.log_id);
                DELETE FROM chunks WHERE log_id IN (SELECT id FROM gone_logs);
                DELETE FROM logs WHERE id IN (SELECT id FROM gone_logs);
                DELETE FROM gone_logs;
                """);
            command.Parameters.AddWithValue("$runs", "[" + string.Join(',', runIds.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]");
            var removed = await Guard(() => command.ExecuteScalarAsync(cancellationToken));
            Interlocked.Add(ref _removedChunks, removed is long count ? count : 0);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Free pages beyond this share of the file (and at least <see cref="CompactMinBytes"/>) are given back by VACUUM.</summary>
    private const double CompactFreeShare = 0.25;

    private const long CompactMinBytes = 8L << 20;

    /// <summary>Pieces removed since the last compaction: merging the index's segments (FTS5 'optimize') pays only after many.</summary>
    private long _removedChunks;

    public async Task<long> CompactAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using (var count = Command(connection, "SELECT count(*) FROM chunks"))
            {
                var left = (long)(await Guard(() => count.ExecuteScalarAsync(cancellationToken)))!;
                var removed = Interlocked.Read(ref _removedChunks);
                if (removed == 0 || removed < (left + removed) * CompactFreeShare) return 0;
            }

            // Removed pieces stay in the FTS segments (as deletions) until the segments are merged into one.
            await using (var optimize = Command(connection, "INSERT INTO chunk_text (chunk_text) VALUES ('optimize')"))
            {
                await Guard(() => optimize.ExecuteNonQueryAsync(cancellationToken));
            }

            Interlocked.Exchange(ref _removedChunks, 0);

            var (free, pages, pageSize) = await PagesAsync(connection, cancellationToken);
            if (free * pageSize < CompactMinBytes || free < pages * CompactFreeShare) return 0;
            await using (var vacuum = Command(connection, "VACUUM; PRAGMA wal_checkpoint(TRUNCATE);"))
            {
                await Guard(() => vacuum.ExecuteNonQueryAsync(cancellationToken));
            }

            var (_, after, _) = await PagesAsync(connection, cancellationToken);
            _logger.LogInformation("The log search index was compacted from {Before} to {After} pages", pages, after);
            return Math.Max(0, (pages - after) * pageSize);
        }
        finally
        {
            _writer.Release();
        }
    }

    private static async Task<(long Free, long Pages, long PageSize)> PagesAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_count FROM pragma_page_count()), (SELECT page_size FROM pragma_page_size())");
        await using var reader = await Guard(() => command.ExecuteReaderAsync(cancellationToken));
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public async IAsyncEnumerable<CandidateChunk> CandidatesAsync(LogSearchFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var match = TrigramTokens.Query(filter.Query.ToUpperInvariant());
        if (match is null) yield break;
        await using var connection = await OpenAsync(cancellationToken);
        // The FTS table alone, in rowid order, read as far as the caller goes; the pieces' facts are looked up in batches.
        await using var matching = Command(connection, "SELECT rowid FROM chunk_text WHERE chunk_text MATCH $match ORDER BY rowid DESC");
        matching.Parameters.AddWithValue("$match", match);
        await using var rows = await Guard(() => matching.ExecuteReaderAsync(cancellationToken));
        var logs = new Dictionary<long, IndexedLog?>();
        var batch = new List<long>(BatchSize);
        var more = true;
        while (more)
        {
            batch.Clear();
            while (batch.Count < BatchSize && (more = await Guard(() => rows.ReadAsync(cancellationToken)))) batch.Add(rows.GetInt64(0));
            if (batch.Count == 0) yield break;
            foreach (var candidate in await DescribeAsync(connection, batch, logs, filter, cancellationToken)) yield return candidate;
        }
    }

    private const int BatchSize = 256;

    /// <summary>The pieces of <paramref name="ids"/> whose log passes the filter, in the order of the ids.</summary>
    private static async Task<List<CandidateChunk>> DescribeAsync(
        SqliteConnection connection, List<long> ids, Dictionary<long, IndexedLog?> logs, LogSearchFilter filter, CancellationToken cancellationToken)
    {
        await using var command = Command(connection,
            $"SELECT id, log_id, first_line, offset, length FROM chunks WHERE id IN ({string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture)))})");
        var chunks = new Dictionary<long, (long LogId, long Line, long Offset, int Length)>();
        await using (var reader = await Guard(() => command.ExecuteReaderAsync(cancellationToken)))
        {
            while (await reader.ReadAsync(cancellationToken)) chunks[reader.GetInt64(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4));
        }

        var unknown = chunks.Values.Select(c => c.LogId).Where(id => !logs.ContainsKey(id)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            await using var describe = Command(connection,
                $"SELECT id, run_id, job, attempt, path, project, branch, number, created FROM logs WHERE id IN ({string.Join(',', unknown.Select(id => id.ToString(CultureInfo.InvariantCulture)))})");
            await using var reader = await Guard(() => describe.ExecuteReaderAsync(cancellationToken));
            while (await reader.ReadAsync(cancellationToken))
            {
                var log = new IndexedLog(new LogRef(reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4)), reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7), new DateTimeOffset(reader.GetInt64(8), TimeSpan.Zero));
                logs[reader.GetInt64(0)] = Passes(log, filter) ? log : null;
            }
        }

        var found = new List<CandidateChunk>(ids.Count);
        foreach (var id in ids)
        {
            if (chunks.TryGetValue(id, out var chunk) && logs.GetValueOrDefault(chunk.LogId) is { } log)
                found.Add(new CandidateChunk(log, chunk.Line, chunk.Offset, chunk.Length));
        }

        return found;
    }

    private static bool Passes(IndexedLog log, LogSearchFilter filter) =>
        (filter.Project is null || log.Project == filter.Project) && (filter.Branch is null || log.Branch == filter.Branch)
        && (filter.Since is null || log.Created >= filter.Since) && (filter.Until is null || log.Created <= filter.Until);

    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in (string[])[_path, _path + "-wal", _path + "-shm"]) File.Delete(file);
            _created = false;
            _logger.LogWarning("The log search index was emptied; logs are indexed again in the background");
        }
        finally
        {
            _writer.Release();
        }
    }

    public async Task<long> GetCaughtUpToAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT value FROM meta WHERE key = $key");
        command.Parameters.AddWithValue("$key", CaughtUpKey);
        return await Guard(() => command.ExecuteScalarAsync(cancellationToken)) is string value ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
    }

    public async Task SetCaughtUpToAsync(long attemptId, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = Command(connection, "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = $value");
            command.Parameters.AddWithValue("$key", CaughtUpKey);
            command.Parameters.AddWithValue("$value", attemptId.ToString(CultureInfo.InvariantCulture));
            await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
        }
        finally
        {
            _writer.Release();
        }
    }

    public async Task<LogSearchIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var checkpoint = Command(connection, "PRAGMA wal_checkpoint(TRUNCATE)"))
        {
            await Guard(() => checkpoint.ExecuteNonQueryAsync(cancellationToken));
        }

        await using var command = Command(connection, """
            SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM chunks), (SELECT coalesce(sum(length), 0) FROM chunks),
                   (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())
            """);
        await using var reader = await Guard(() => command.ExecuteReaderAsync(cancellationToken));
        await reader.ReadAsync(cancellationToken);
        var wal = new FileInfo(_path + "-wal");
        return new LogSearchIndexStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3) + (wal.Exists ? wal.Length : 0));
    }

    public void Dispose() => _writer.Dispose();

    private static long RowId(long runId, long sequence) => (runId << 32) + (uint.MaxValue - sequence);

    private static async Task RemoveAsync(SqliteConnection connection, LogRef log, CancellationToken cancellationToken)
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

    private static void Bind(SqliteCommand command, LogRef log)
    {
        command.Parameters.AddWithValue("$run", log.RunId);
        command.Parameters.AddWithValue("$job", log.JobId);
        command.Parameters.AddWithValue("$attempt", log.Attempt);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await Guard(() => connection.OpenAsync(cancellationToken));
            if (!_created) await CreateAsync(connection, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>How the table of trigrams is declared: the words of <see cref="TrigramTokens"/>.</summary>
    private static readonly string TrigramTable =
        $"CREATE VIRTUAL TABLE chunk_text USING fts5 (text, content = '', contentless_delete = 1, detail = none, tokenize = '{TrigramTokens.Tokenizer.Replace("'", "''", StringComparison.Ordinal)}')";

    private async Task CreateAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS logs (
                id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, job TEXT NOT NULL, attempt INTEGER NOT NULL, path TEXT NOT NULL,
                project TEXT NOT NULL, branch TEXT, number INTEGER NOT NULL, created INTEGER NOT NULL, UNIQUE (run_id, job, attempt));
            CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, next_seq INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS chunks (id INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, first_line INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS chunks_by_log ON chunks (log_id);
            """);
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
        await using (var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken))
        {
            await using var declared = Command(connection, "SELECT sql FROM sqlite_master WHERE name = 'chunk_text'");
            var table = await Guard(() => declared.ExecuteScalarAsync(cancellationToken)) as string;
            if (table?.Contains(TrigramTokens.Tokenizer.Replace("'", "''", StringComparison.Ordinal), StringComparison.Ordinal) != true)
            {
                // None yet, or one of an older format (FTS5's own trigram tokenizer, before 2026-12): emptied and made
                // again; the sealer's next catch-up (caught up to nothing now) indexes every log again.
                if (table is not null) _logger.LogWarning("The log search index is of an older format; it is emptied and built again from the logs in the background");
                await using var create = Command(connection, $"""
                    DROP TABLE IF EXISTS chunk_text;
                    DELETE FROM chunks; DELETE FROM logs; DELETE FROM runs; DELETE FROM meta;
                    {TrigramTable};
                    """);
                await Guard(() => create.ExecuteNonQueryAsync(cancellationToken));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        _created = true;
    }

    /// <summary>A damaged, foreign or removed file is named as such, so that callers answer "rebuild the index" rather than fail.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26
                                         || (e.SqliteErrorCode == 1 && e.Message.Contains("no such table", StringComparison.Ordinal)))
        {
            throw new LogSearchIndexDamagedException("the log search index is damaged; rebuild it (POST /api/admin/search/rebuild)", e);
        }
    }

    private static async Task Guard(Func<Task> action) => await Guard(async () =>
    {
        await action();
        return true;
    });
}
