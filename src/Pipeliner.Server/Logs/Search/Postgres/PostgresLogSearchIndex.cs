using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs.Search.Postgres;

/// <summary>
/// The search index on PostgreSQL, in a schema of its own (<c>log_search</c>) of the server's database, so that every
/// replica reads and writes the same index. Pieces of logs are rows holding their distinct trigrams (as shown, secrets
/// masked, upper-cased the way .NET's case-insensitive comparison folds it), computed here by the same
/// <see cref="Sqlite.TrigramTokens"/> as the SQLite index's and hashed to 16-bit codes (<see cref="TrigramCodes"/>),
/// as a <c>smallint[]</c> with a GIN index; a query names the pieces holding every code of its trigrams
/// (<c>trigrams @&gt; codes</c>), a superset of those holding the text, and the log itself decides. Neither the text
/// nor PostgreSQL's own trigram extraction is involved, so sealing costs PostgreSQL only the rows and GIN entries.
/// A piece's id is <c>run × 2³² + (2³² − 1 − n)</c> for the run's n-th piece, as in SQLite, so that
/// descending ids give the newest run first and each run's pieces in order; candidates are read in pages by id, as
/// far as the caller goes. The schema is made (and dropped by a rebuild) by the index itself under an advisory lock;
/// one of the older format (the pieces' text with a <c>pg_trgm</c> index, before 2026-12-04) is dropped when found
/// and built again by the sealer's catch-up.
/// </summary>
public sealed class PostgresLogSearchIndex : ILogSearchIndex, IAsyncDisposable, IDisposable
{
    public const string Schema = "log_search";
    private const string CaughtUpKey = "caught-up-to";
    private const int PageSize = 256;

    /// <summary>Pieces looked at per step when walking the ids down (a common text).</summary>
    private const int WalkWindow = 8;

    /// <summary>Matching pieces a search is taken to want beyond a window, when choosing between walking and the index.</summary>
    private const int WalkWanted = 64;
    private readonly NpgsqlDataSource _source;
    private readonly ILogger<PostgresLogSearchIndex> _logger;
    private volatile bool _created;

    /// <summary>
    /// Pieces of 1,000 lines (about 100 KB): each row holds each distinct trigram code of its piece once, in its array and
    /// in the GIN index, so larger pieces make the index smaller and cheaper to fill (measured on 30.8 MB, 32 logs per
    /// write: 400 lines 0.30× the text and 0.99 s of PostgreSQL's CPU, 1,000 lines 0.19× and 0.49 s); a candidate piece
    /// costs the search a read of 100 KB, which is little beside the compressed block (1 MiB) it lies in.
    /// </summary>
    public int LinesPerChunk => 1000;

    public PostgresLogSearchIndex(string connectionString, ILogger<PostgresLogSearchIndex> logger)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        _logger = logger;
    }

    public async Task<bool> ContainsAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT 1 FROM {Schema}.logs WHERE run_id = @run AND job = @job AND attempt = @attempt");
        Bind(command, log);
        return await Guard(() => command.ExecuteScalarAsync(cancellationToken)) is not null;
    }

    public async Task AddAsync(IReadOnlyList<LogToIndex> logs, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // One writer per run across replicas: the run's piece numbers and the log's rows are read, then written. The runs
        // are locked in one order (by id), so that two replicas sealing overlapping batches cannot wait for each other.
        await using (var lockRuns = Command(connection, "SELECT pg_advisory_xact_lock(key) FROM unnest(@keys) AS key ORDER BY key"))
        {
            lockRuns.Parameters.AddWithValue("keys", logs.Select(l => l.Log.Log.RunId).Distinct().Order()
                .Select(run => PostgresDatabase.AdvisoryKey(ClusterLock.LogSearchRun, run)).ToArray());
            await Guard(() => lockRuns.ExecuteNonQueryAsync(cancellationToken));
        }

        var codes = new TrigramCodes();
        foreach (var log in logs) await AddAsync(connection, log.Log, log.Chunks, codes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task AddAsync(NpgsqlConnection connection, IndexedLog log, IAsyncEnumerable<IndexChunk> chunks, TrigramCodes codes, CancellationToken cancellationToken)
    {
        await RemoveAsync(connection, log.Log, cancellationToken);
        await using var addLog = Command(connection, $"""
            INSERT INTO {Schema}.runs (run_id, next_seq) VALUES (@run, 0) ON CONFLICT (run_id) DO NOTHING;
            INSERT INTO {Schema}.logs (run_id, job, attempt, path, project, branch, number, created)
                VALUES (@run, @job, @attempt, @path, @project, @branch, @number, @created) RETURNING id;
            SELECT next_seq FROM {Schema}.runs WHERE run_id = @run;
            """);
        Bind(addLog, log.Log);
        addLog.Parameters.AddWithValue("path", log.Log.Path);
        addLog.Parameters.AddWithValue("project", log.Project);
        addLog.Parameters.AddWithValue("branch", NpgsqlDbType.Text, (object?)log.Branch ?? DBNull.Value);
        addLog.Parameters.AddWithValue("number", log.Number);
        addLog.Parameters.AddWithValue("created", log.Created.UtcDateTime);
        long logId, next;
        await using (var reader = await Guard(() => addLog.ExecuteReaderAsync(cancellationToken)))
            (logId, next) = await AddedLogIds.ReadAsync(reader, cancellationToken);

        await using (var copy = await connection.BeginBinaryImportAsync(
                         $"COPY {Schema}.chunks (id, log_id, first_line, \"offset\", length, trigrams) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            await foreach (var chunk in chunks.WithCancellation(cancellationToken))
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(RowId(log.Log.RunId, next++), NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(logId, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(chunk.FirstLine, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(chunk.Offset, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(chunk.Length, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(codes.Of(chunk.Text), NpgsqlDbType.Array | NpgsqlDbType.Smallint, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using var store = Command(connection, $"UPDATE {Schema}.runs SET next_seq = @next WHERE run_id = @run");
        store.Parameters.AddWithValue("next", next);
        store.Parameters.AddWithValue("run", log.Log.RunId);
        await store.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RemoveAsync(LogRef log, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await RemoveAsync(connection, log, cancellationToken);
    }

    public async Task RemoveRunsAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken)
    {
        if (runIds.Count == 0) return;
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            DELETE FROM {Schema}.chunks WHERE log_id IN (SELECT id FROM {Schema}.logs WHERE run_id = ANY(@runs));
            DELETE FROM {Schema}.logs WHERE run_id = ANY(@runs);
            DELETE FROM {Schema}.runs WHERE run_id = ANY(@runs);
            """);
        command.Parameters.AddWithValue("runs", runIds.ToArray());
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>
    /// PostgreSQL's autovacuum makes the rows that removals freed reusable by later pieces; giving the space back to the
    /// disk would take <c>VACUUM FULL</c>, which locks the index for every replica, so nothing is done here.
    /// </summary>
    public Task<long> CompactAsync(CancellationToken cancellationToken) => Task.FromResult(0L);

    /// <summary>
    /// Candidates by a plan chosen here, never by the planner's cost estimate (the arrays live out of line, in TOAST,
    /// which the planner takes for cheap to read, and it would rather scan every piece than the GIN index). So the ids
    /// are walked down a window of <see cref="WalkWindow"/> pieces at a time (a common text: the newest matches are
    /// near), and as soon as a window shows the text to be too rare for walking to pay, the rest goes through the GIN
    /// index alone (a bitmap scan: sequential and plain index scans are off, and the id bound is no index condition),
    /// sorted by id.
    /// </summary>
    public async IAsyncEnumerable<CandidateChunk> CandidatesAsync(LogSearchFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var codes = TrigramCodes.OfQuery(filter.Query);
        if (codes.Length == 0) yield break;
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var filters = (filter.Project is null ? "" : " AND l.project = @project") + (filter.Branch is null ? "" : " AND l.branch = @branch")
            + (filter.Since is null ? "" : " AND l.created >= @since") + (filter.Until is null ? "" : " AND l.created <= @until");
        const string Columns = "c.first_line, c.\"offset\", c.length, l.run_id, l.job, l.attempt, l.path, l.project, l.branch, l.number, l.created";
        // The settings go with each query, in one round trip (Npgsql's reader skips the SETs' empty results).
        await using var walk = Command(connection, $"""
            SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;
            SELECT c.id, coalesce(c.trigrams @> @codes{filters}, false) AS hit, {Columns},
                (SELECT reltuples FROM pg_class WHERE oid = '{Schema}.chunks'::regclass) AS pieces
            FROM (SELECT id, log_id, first_line, "offset", length, trigrams FROM {Schema}.chunks WHERE id < @before ORDER BY id DESC LIMIT {WalkWindow}) c
            JOIN {Schema}.logs l ON l.id = c.log_id
            ORDER BY c.id DESC
            """);
        await using var search = Command(connection, $"""
            SET LOCAL enable_bitmapscan = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
            WITH hits AS MATERIALIZED (SELECT id, log_id, first_line, "offset", length FROM {Schema}.chunks WHERE trigrams @> @codes AND id + 0 < @before)
            SELECT c.id, true AS hit, {Columns}
            FROM hits c JOIN {Schema}.logs l ON l.id = c.log_id
            WHERE true{filters}
            ORDER BY c.id DESC LIMIT {PageSize}
            """);
        foreach (var command in new[] { walk, search })
        {
            command.Parameters.AddWithValue("codes", NpgsqlDbType.Array | NpgsqlDbType.Smallint, codes);
            command.Parameters.AddWithValue("before", long.MaxValue);
            if (filter.Project is not null) command.Parameters.AddWithValue("project", filter.Project);
            if (filter.Branch is not null) command.Parameters.AddWithValue("branch", filter.Branch);
            if (filter.Since is { } since) command.Parameters.AddWithValue("since", since.UtcDateTime);
            if (filter.Until is { } until) command.Parameters.AddWithValue("until", until.UtcDateTime);
        }

        // The table's size as the statistics know it (an upper bound for what is left below a window); large when never counted.
        var pieces = 1e6;
        var logs = new Dictionary<(long, string, int), IndexedLog>();
        var page = walk;
        var before = long.MaxValue;
        while (true)
        {
            page.Parameters["before"].Value = before;
            var found = new List<CandidateChunk>(PageSize);
            var rows = 0;
            await using (var reader = await Guard(() => page.ExecuteReaderAsync(cancellationToken)))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows++;
                    before = reader.GetInt64(0);
                    if (page == walk && rows == 1 && !reader.IsDBNull(13) && reader.GetFloat(13) is >= 0 and var known) pieces = known;
                    if (!reader.GetBoolean(1)) continue;
                    var key = (reader.GetInt64(5), reader.GetString(6), reader.GetInt32(7));
                    if (!logs.TryGetValue(key, out var log))
                    {
                        logs[key] = log = new IndexedLog(new LogRef(key.Item1, key.Item2, key.Item3, reader.GetString(8)), reader.GetString(9),
                            reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt32(11),
                            reader.GetFieldValue<DateTimeOffset>(12));
                    }

                    found.Add(new CandidateChunk(log, reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4)));
                }
            }

            foreach (var candidate in found) yield return candidate;
            if (page == search ? rows < PageSize : rows < WalkWindow) yield break;
            if (page == walk && WalkingIsDearer(found.Count, pieces)) page = search;
        }
    }

    /// <summary>
    /// With <paramref name="hits"/> matches in the last window, finding <see cref="WalkWanted"/> more by walking reads
    /// about <c>WalkWanted × window / hits</c> pieces, the trigram index reads every match (about
    /// <c>hits / window × pieces</c>): whichever reads fewer.
    /// </summary>
    private static bool WalkingIsDearer(int hits, double pieces) => (double)hits * hits * pieces < (double)WalkWanted * WalkWindow * WalkWindow;

    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var drop = Command(connection, $"SELECT pg_advisory_xact_lock(@key); DROP SCHEMA IF EXISTS {Schema} CASCADE"))
        {
            drop.Parameters.AddWithValue("key", PostgresDatabase.AdvisoryKey(ClusterLock.LogSearchSchema, 0));
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        // Made again at once, in the same transaction: another replica never finds the schema missing.
        await CreateAsync(connection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _created = true;
        _logger.LogWarning("The log search index was emptied; logs are indexed again in the background");
    }

    public async Task<long> GetCaughtUpToAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"SELECT value FROM {Schema}.meta WHERE key = @key");
        command.Parameters.AddWithValue("key", CaughtUpKey);
        return await Guard(() => command.ExecuteScalarAsync(cancellationToken)) is long value ? value : 0;
    }

    public async Task SetCaughtUpToAsync(long attemptId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            $"INSERT INTO {Schema}.meta (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        command.Parameters.AddWithValue("key", CaughtUpKey);
        command.Parameters.AddWithValue("value", attemptId);
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
    }

    public async Task<LogSearchIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // The index's size: its tables with their arrays (TOAST) and indexes, as the SQLite figure counts its file.
        await using var command = Command(connection, $"""
            SELECT (SELECT count(*) FROM {Schema}.logs), (SELECT count(*) FROM {Schema}.chunks), (SELECT coalesce(sum(length), 0) FROM {Schema}.chunks)::bigint,
                   (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = '{Schema}' AND c.relkind = 'r')::bigint
            """);
        await using var reader = await Guard(() => command.ExecuteReaderAsync(cancellationToken));
        await reader.ReadAsync(cancellationToken);
        return new LogSearchIndexStats(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    public void Dispose() => _source.Dispose();

    private static long RowId(long runId, long sequence) => (runId << 32) + (uint.MaxValue - sequence);

    private static async Task RemoveAsync(NpgsqlConnection connection, LogRef log, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, $"""
            DELETE FROM {Schema}.chunks WHERE log_id IN (SELECT id FROM {Schema}.logs WHERE run_id = @run AND job = @job AND attempt = @attempt);
            DELETE FROM {Schema}.logs WHERE run_id = @run AND job = @job AND attempt = @attempt;
            """);
        Bind(command, log);
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
    }

    private static void Bind(NpgsqlCommand command, LogRef log)
    {
        command.Parameters.AddWithValue("run", log.RunId);
        command.Parameters.AddWithValue("job", log.JobId);
        command.Parameters.AddWithValue("attempt", log.Attempt);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql) => new(sql, connection);

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _source.OpenConnectionAsync(cancellationToken);
        try
        {
            if (!_created)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await CreateAsync(connection, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                _created = true;
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Makes what is missing, one replica at a time (concurrent <c>CREATE … IF NOT EXISTS</c> can collide). An index of
    /// the older format (the pieces' text with a <c>pg_trgm</c> index) is dropped first: the sealer's next catch-up
    /// (caught up to nothing now) indexes every log again, as after a rebuild.
    /// </summary>
    private async Task CreateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var lockSchema = Command(connection, "SELECT pg_advisory_xact_lock(@key)"))
        {
            lockSchema.Parameters.AddWithValue("key", PostgresDatabase.AdvisoryKey(ClusterLock.LogSearchSchema, 0));
            await lockSchema.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var older = Command(connection,
                         $"SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = '{Schema}' AND table_name = 'chunks' AND column_name = 'text')"))
        {
            if (await Guard(() => older.ExecuteScalarAsync(cancellationToken)) is true)
            {
                _logger.LogWarning("The log search index is of an older format; it is emptied and built again from the logs in the background");
                await using var drop = Command(connection, $"DROP SCHEMA {Schema} CASCADE");
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using var command = Command(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {Schema};
            CREATE TABLE IF NOT EXISTS {Schema}.meta (key text PRIMARY KEY, value bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS {Schema}.logs (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, run_id bigint NOT NULL, job text NOT NULL, attempt integer NOT NULL,
                path text NOT NULL, project text NOT NULL, branch text, number integer NOT NULL, created timestamptz NOT NULL,
                UNIQUE (run_id, job, attempt));
            CREATE TABLE IF NOT EXISTS {Schema}.runs (run_id bigint PRIMARY KEY, next_seq bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS {Schema}.chunks (
                id bigint PRIMARY KEY, log_id bigint NOT NULL, first_line bigint NOT NULL, "offset" bigint NOT NULL, length integer NOT NULL,
                trigrams smallint[] NOT NULL);
            CREATE INDEX IF NOT EXISTS chunks_by_log ON {Schema}.chunks (log_id);
            CREATE INDEX IF NOT EXISTS chunks_trigrams ON {Schema}.chunks USING gin (trigrams);
            """);
        await Guard(() => command.ExecuteNonQueryAsync(cancellationToken));
    }

    /// <summary>A dropped or altered schema is named as damage, so that callers answer "rebuild the index" rather than fail.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName
                                              or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedFunction)
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
