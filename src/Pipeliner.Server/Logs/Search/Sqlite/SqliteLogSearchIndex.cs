using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Pipeliner.Server.Logs.Store;
using static Pipeliner.Server.Logs.Search.Sqlite.SqliteIndexCommands;

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

    /// <summary>Under <see cref="_writer"/>.</summary>
    private readonly SqlitePieceWriter _pieces = new();

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
            await using var connection = await OpenAsync(cancellationToken);
            await _pieces.AddAsync(connection, logs, cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    public async IAsyncEnumerable<CandidateChunk> CandidatesAsync(LogSearchFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var match = TrigramTokens.Query(filter.Query.ToUpperInvariant());
        if (match is null) yield break;
        await using var connection = await OpenAsync(cancellationToken);
        await foreach (var candidate in SqliteIndexQuery.CandidatesAsync(connection, match, filter, cancellationToken)) yield return candidate;
    }

    public async Task RemoveAsync(LogRef log, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await SqlitePieceWriter.RemoveAsync(connection, log, cancellationToken);
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

}
