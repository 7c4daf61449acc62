using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Postgres;
using Pipeliner.Server.Logs.Search.Sqlite;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Logs.Search;

/// <summary>The log search index's contract, on each database's implementation (the twins below).</summary>
public abstract class LogSearchIndexTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly List<ILogSearchIndex> _opened = [];

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var index in _opened) Close(index);
        await Task.CompletedTask;
    }

    /// <summary>A new instance on the same index (a restart of the server).</summary>
    protected abstract ILogSearchIndex Create();

    /// <summary>Makes the index unreadable as a disk or an operator might.</summary>
    protected abstract Task DamageAsync();

    private ILogSearchIndex Open()
    {
        var index = Create();
        _opened.Add(index);
        return index;
    }

    private static void Close(ILogSearchIndex index) => (index as IDisposable)?.Dispose();

    private static IndexedLog Log(long run, string job = "build", string project = "shop", DateTimeOffset? created = null) =>
        new(new LogRef(run, job, 1, $"runs/{run}/logs/{job}/1.log"), project, "main", (int)run, created ?? Noon);

    private static async IAsyncEnumerable<IndexChunk> Chunks(params string[] texts)
    {
        long line = 1;
        foreach (var text in texts)
        {
            yield return new IndexChunk(line, line * 100, 100, text);
            line += 100;
        }

        await Task.CompletedTask;
    }

    private static async Task<List<CandidateChunk>> Candidates(ILogSearchIndex index, string query, string? project = null, DateTimeOffset? since = null) =>
        await index.CandidatesAsync(new LogSearchFilter(query, project, null, since, null), CancellationToken.None).ToListAsync();

    [Fact]
    public async Task CandidatesAsync_GivesNewestRunFirstAndEachRunsPiecesInOrder_AfterTheIndexIsReopened()
    {
        var index = Open();
        await index.AddAsync(Log(1), Chunks("a NullReferenceException here", "nothing"), CancellationToken.None);
        await index.AddAsync(Log(2), Chunks("first nullreferenceexception", "second NULLREFERENCEEXCEPTION"), CancellationToken.None);
        await index.AddAsync(Log(2, "test"), Chunks("third NullReferenceException"), CancellationToken.None);
        await index.SetCaughtUpToAsync(42, CancellationToken.None);
        _opened.Remove(index);
        Close(index);

        var reopened = Open();
        var found = await Candidates(reopened, "nullreferenceEXCEPTION");

        Assert.Equal([(2L, "build", 1L), (2L, "build", 101L), (2L, "test", 1L), (1L, "build", 1L)],
            found.Select(c => (c.Log.Log.RunId, c.Log.Log.JobId, c.FirstLine)));
        Assert.Equal(42, await reopened.GetCaughtUpToAsync(CancellationToken.None));
        Assert.Empty(await Candidates(reopened, "exceptional"));
        Assert.Empty(await Candidates(reopened, "NullReferenceException", project: "other"));
        var stats = await reopened.StatsAsync(CancellationToken.None);
        Assert.Equal((3L, 5L), (stats.Logs, stats.Chunks));
        Assert.True(stats.IndexBytes > 0);
    }

    [Fact]
    public async Task AddAsync_IndexesSeveralLogsInOneWrite_InTheOrderOfTheirRunsAndPieces()
    {
        var index = Open();
        await index.AddAsync(Log(1), Chunks("old timeout"), CancellationToken.None);

        await index.AddAsync(
        [
            new LogToIndex(Log(3), Chunks("timeout one", "nothing", "timeout two")),
            new LogToIndex(Log(2), Chunks("timeout three")),
            new LogToIndex(Log(1), Chunks("timeout again")),
        ], CancellationToken.None);

        Assert.Equal([(3L, 1L), (3L, 201L), (2L, 1L), (1L, 1L)], (await Candidates(index, "TIMEOUT")).Select(c => (c.Log.Log.RunId, c.FirstLine)));
        Assert.Empty(await Candidates(index, "old time"));
        Assert.Equal((3L, 5L), await index.StatsAsync(CancellationToken.None) is var stats ? (stats.Logs, stats.Chunks) : default);
    }

    [Fact]
    public async Task AddAsync_IndexesSeveralLogsInOneWrite_WhenTheirRunsComeInAnyOrder()
    {
        var index = Open();

        await index.AddAsync(
        [
            new LogToIndex(Log(4), Chunks("timeout a1", "timeout a2")),
            new LogToIndex(Log(5), Chunks("timeout b1")),
            new LogToIndex(Log(5, "test"), Chunks("timeout c1", "nothing", "timeout c3")),
            new LogToIndex(Log(7), Chunks("timeout d1")),
            new LogToIndex(Log(6), Chunks("timeout e1", "timeout e2")),
            new LogToIndex(Log(8), Chunks("timeout f1")),
        ], CancellationToken.None);

        Assert.Equal(
            [(8L, "build", 1L), (7L, "build", 1L), (6L, "build", 1L), (6L, "build", 101L), (5L, "build", 1L), (5L, "test", 1L), (5L, "test", 201L),
             (4L, "build", 1L), (4L, "build", 101L)],
            (await Candidates(index, "TIMEOUT")).Select(c => (c.Log.Log.RunId, c.Log.Log.JobId, c.FirstLine)));
        Assert.Equal([(5L, "test", 201L)], (await Candidates(index, "timeout c3")).Select(c => (c.Log.Log.RunId, c.Log.Log.JobId, c.FirstLine)));
        Assert.Equal((6L, 10L), await index.StatsAsync(CancellationToken.None) is var stats ? (stats.Logs, stats.Chunks) : default);
    }

    [Fact]
    public async Task CandidatesAsync_TakesTheQueryLiterally_WithWildcardsQuotesAndAnyCase()
    {
        var index = Open();
        await index.AddAsync(Log(1), Chunks("progress 100% done", "path C:\\build\\out_dir", "say \"hello\" 'there'", "Straße ÉCOLE"), CancellationToken.None);
        await index.AddAsync(Log(2), Chunks("progress 1000 done", "path C:\\build\\outXdir", "say hello there", "strasse ecole"), CancellationToken.None);

        async Task<long[]> Lines(string query) => [.. (await Candidates(index, query)).Select(c => c.Log.Log.RunId * 1000 + c.FirstLine)];

        Assert.Equal(new long[] { 1001L }, await Lines("100% d"));
        Assert.Equal(new long[] { 1101L }, await Lines("\\build\\out_"));
        Assert.Equal(new long[] { 1201L }, await Lines("\"HELLO\" 'th"));
        Assert.Equal(new long[] { 1301L }, await Lines("straße école"));
        Assert.Equal(new long[] { 2001L, 1001L }, await Lines("PROGRESS 100"));
    }

    [Fact]
    public async Task CandidatesAsync_NarrowsDown_ByProjectAndTime()
    {
        var index = Open();
        await index.AddAsync(Log(1, project: "a", created: Noon), Chunks("timeout waiting"), CancellationToken.None);
        await index.AddAsync(Log(2, project: "b", created: Noon.AddDays(1)), Chunks("timeout waiting"), CancellationToken.None);
        await index.AddAsync(Log(3, project: "a", created: Noon.AddDays(2)), Chunks("timeout waiting"), CancellationToken.None);

        Assert.Equal([3L, 1L], (await Candidates(index, "timeout", project: "a")).Select(c => c.Log.Log.RunId));
        Assert.Equal([3L, 2L], (await Candidates(index, "timeout", since: Noon.AddHours(1))).Select(c => c.Log.Log.RunId));
        Assert.Equal(Noon.AddDays(2), Assert.Single(await Candidates(index, "timeout", project: "a", since: Noon.AddHours(1))).Log.Created);
    }

    [Fact]
    public async Task CandidatesAsync_ReadsEveryPiece_WhenThereAreMoreThanAPage()
    {
        var index = Open();
        await index.AddAsync(Log(7), Chunks([.. Enumerable.Range(0, 700).Select(i => $"step {i} common words")]), CancellationToken.None);

        var found = await Candidates(index, "COMMON WORDS");

        Assert.Equal(Enumerable.Range(0, 700).Select(i => 1L + 100 * i), found.Select(c => c.FirstLine));
    }

    [Fact]
    public async Task CandidatesAsync_FindsEachRareMatchOnceInOrder_AmongManyPiecesOfACommonText()
    {
        var index = Open();
        int[] needles = [8, 16, 17, 90, 399];
        await index.AddAsync(Log(8), Chunks([.. Enumerable.Range(0, 400).Select(i => $"step {i} common words{(needles.Contains(i) ? " needle" : "")}")]),
            CancellationToken.None);
        await index.AddAsync(Log(9), Chunks("newer common words"), CancellationToken.None);

        var rare = await Candidates(index, "NEEDLE");
        var common = await Candidates(index, "common words", project: "shop");

        Assert.Equal(needles.Select(i => (8L, 1L + 100 * i)), rare.Select(c => (c.Log.Log.RunId, c.FirstLine)));
        Assert.Equal([(9L, 1L), .. Enumerable.Range(0, 400).Select(i => (8L, 1L + 100 * i))], common.Select(c => (c.Log.Log.RunId, c.FirstLine)));
    }

    [Fact]
    public async Task AddAsync_ReplacesALogsPieces_AndRemoveAsyncDropsThem()
    {
        var index = Open();
        await index.AddAsync(Log(5), Chunks("old words"), CancellationToken.None);
        await index.AddAsync(Log(5), Chunks("new words"), CancellationToken.None);

        Assert.Empty(await Candidates(index, "old"));
        Assert.Single(await Candidates(index, "new words"));
        Assert.True(await index.ContainsAsync(Log(5).Log, CancellationToken.None));

        await index.RemoveAsync(Log(5).Log, CancellationToken.None);
        Assert.Empty(await Candidates(index, "new words"));
        Assert.False(await index.ContainsAsync(Log(5).Log, CancellationToken.None));
    }

    [Fact]
    public async Task ClearAsync_Empties_EvenADamagedIndex()
    {
        var index = Open();
        await index.AddAsync(Log(1), Chunks("something"), CancellationToken.None);
        await DamageAsync();

        await Assert.ThrowsAsync<LogSearchIndexDamagedException>(() => Candidates(index, "something"));
        await index.ClearAsync(CancellationToken.None);
        Assert.Empty(await Candidates(index, "something"));
        await index.AddAsync(Log(1), Chunks("something"), CancellationToken.None);
        Assert.Single(await Candidates(index, "something"));
    }
}

/// <summary>The contract on SQLite FTS5 (<c>search.db</c>), and what only it has.</summary>
public sealed class SqliteLogSearchIndexTests : LogSearchIndexTests
{
    private readonly TempDirectory _directory = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    protected override ILogSearchIndex Create() => new SqliteLogSearchIndex(_directory.Combine("search.db"), NullLogger<SqliteLogSearchIndex>.Instance);

    protected override async Task DamageAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await File.WriteAllTextAsync(_directory.Combine("search.db"), new string('x', 10_000));
    }

    [Fact]
    public async Task OpenAsync_EmptiesAnIndexOfTheOlderFormat_SoThatTheSealerBuildsItAgain()
    {
        // search.db as the first version made it: FTS5's own trigram tokenizer, one log indexed, caught up to attempt 7.
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_directory.Combine("search.db")};Pooling=false"))
        {
            await old.OpenAsync();
            await using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE logs (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, job TEXT NOT NULL, attempt INTEGER NOT NULL, path TEXT NOT NULL,
                    project TEXT NOT NULL, branch TEXT, number INTEGER NOT NULL, created INTEGER NOT NULL, UNIQUE (run_id, job, attempt));
                CREATE TABLE runs (run_id INTEGER PRIMARY KEY, next_seq INTEGER NOT NULL);
                CREATE TABLE chunks (id INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, first_line INTEGER NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL);
                CREATE VIRTUAL TABLE chunk_text USING fts5 (text, content = '', contentless_delete = 1, detail = none, tokenize = 'trigram case_sensitive 1');
                INSERT INTO meta VALUES ('caught-up-to', '7');
                INSERT INTO logs VALUES (1, 1, 'build', 1, 'runs/1/logs/build/1.log', 'shop', 'main', 1, 0);
                INSERT INTO runs VALUES (1, 1);
                INSERT INTO chunks VALUES (8589934591, 1, 1, 0, 10);
                INSERT INTO chunk_text (rowid, text) VALUES (8589934591, 'OLD FORMAT');
                """;
            await command.ExecuteNonQueryAsync();
        }

        var index = Create();
        try
        {
            Assert.Equal(0, await index.GetCaughtUpToAsync(CancellationToken.None));
            Assert.False(await index.ContainsAsync(new LogRef(1, "build", 1, "runs/1/logs/build/1.log"), CancellationToken.None));
            Assert.Empty(await index.CandidatesAsync(new LogSearchFilter("old format", null, null, null, null), CancellationToken.None).ToListAsync());
            await index.AddAsync(new IndexedLog(new LogRef(1, "build", 1, "runs/1/logs/build/1.log"), "shop", "main", 1, DateTimeOffset.UnixEpoch),
                new[] { new IndexChunk(1, 0, 10, "new format") }.ToAsyncEnumerable(), CancellationToken.None);
            Assert.Single(await index.CandidatesAsync(new LogSearchFilter("NEW FORMAT", null, null, null, null), CancellationToken.None).ToListAsync());
        }
        finally
        {
            (index as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [InlineData("abc", "\"abc\"")]
    [InlineData("abcd", "\"abc\" AND \"bcd\"")]
    [InlineData("aaaa", "\"aaa\"")]
    [InlineData("a\"b\"", "\"a\"\"b\" AND \"\"\"b\"\"\"")]
    [InlineData("ab", null)]
    [InlineData("a😀", null)]
    [InlineData("a😀b", "\"a😀b\"")]
    [InlineData("a\tb", "\"a\u0089b\"")]
    public void TrigramTokens_Query_QuotesEveryDistinctPiece(string text, string? query) => Assert.Equal(query, TrigramTokens.Query(text));

    [Fact]
    public void TrigramTokens_Of_WritesEachDistinctTrigramOfEachLineOnce()
    {
        var tokens = new TrigramTokens();

        Assert.Equal("ABC\nBCA\nCAB\nXYZ\n", tokens.Of("ABCABC\nXYZ\nAB"));
        Assert.Equal("É😀B\nA\u0089B\n", tokens.Of("É😀B\nA\tB"));
        Assert.Equal("ABC\n", tokens.Of("ABC")); // nothing kept from the text before
    }

    [Fact]
    public async Task LogChunker_CutsIntoPiecesWithLineNumbersAndOffsets_MaskingSecrets()
    {
        var lines = Enumerable.Range(1, 250).Select(i => $"2026-12-04T12:00:00.000Z line {i} s3cr3t \u001b[1mbold\u001b[0m").ToList();
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
        var chunks = await LogChunker.ChunksAsync(new MemoryStream(bytes), new SecretMasker(["s3cr3t"]), 100, CancellationToken.None).ToListAsync();

        Assert.Equal([1L, 101L, 201L], chunks.Select(c => c.FirstLine));
        Assert.Equal(bytes.Length, chunks.Sum(c => c.Length));
        Assert.Equal(0, chunks[0].Offset);
        Assert.Equal(chunks[0].Length, chunks[1].Offset);
        Assert.Equal("line 101 *** bold", chunks[1].Text.Split('\n')[0]);
        Assert.Equal(50, chunks[2].Text.Split('\n').Length);
    }
}

/// <summary>The contract on PostgreSQL: trigram codes with a GIN index (schema <c>log_search</c> of a database of its own).</summary>
[Trait("Database", "postgres")]
public sealed class PostgresLogSearchIndexTests : LogSearchIndexTests
{
    private TestPostgresDatabase? _database;

    public override async Task InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync(nameof(PostgresLogSearchIndexTests));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    protected override ILogSearchIndex Create() => new PostgresLogSearchIndex(_database!.ConnectionString, NullLogger<PostgresLogSearchIndex>.Instance);

    protected override async Task DamageAsync()
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP TABLE {PostgresLogSearchIndex.Schema}.chunks", connection);
        await drop.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task OpenAsync_DropsAnIndexOfTheOlderFormat_SoThatTheSealerBuildsItAgain()
    {
        // The schema as the first version made it: the pieces' text with a pg_trgm index, one log indexed, caught up to attempt 7.
        await using (var connection = new NpgsqlConnection(_database!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"""
                CREATE SCHEMA {PostgresLogSearchIndex.Schema};
                CREATE TABLE log_search.meta (key text PRIMARY KEY, value bigint NOT NULL);
                CREATE TABLE log_search.logs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, run_id bigint NOT NULL, job text NOT NULL,
                    attempt integer NOT NULL, path text NOT NULL, project text NOT NULL, branch text, number integer NOT NULL, created timestamptz NOT NULL,
                    UNIQUE (run_id, job, attempt));
                CREATE TABLE log_search.runs (run_id bigint PRIMARY KEY, next_seq bigint NOT NULL);
                CREATE TABLE log_search.chunks (id bigint PRIMARY KEY, log_id bigint NOT NULL, first_line bigint NOT NULL, "offset" bigint NOT NULL,
                    length integer NOT NULL, text text NOT NULL);
                INSERT INTO log_search.meta VALUES ('caught-up-to', 7);
                INSERT INTO log_search.logs (id, run_id, job, attempt, path, project, branch, number, created)
                    VALUES (1, 1, 'build', 1, 'runs/1/logs/build/1.log', 'shop', 'main', 1, now());
                INSERT INTO log_search.runs VALUES (1, 1);
                INSERT INTO log_search.chunks VALUES (8589934591, 1, 1, 0, 10, 'OLD FORMAT');
                """, connection);
            await command.ExecuteNonQueryAsync();
        }

        var index = Create();
        try
        {
            var log = new LogRef(1, "build", 1, "runs/1/logs/build/1.log");
            Assert.Equal(0, await index.GetCaughtUpToAsync(CancellationToken.None));
            Assert.False(await index.ContainsAsync(log, CancellationToken.None));
            Assert.Empty(await index.CandidatesAsync(new LogSearchFilter("old format", null, null, null, null), CancellationToken.None).ToListAsync());
            await index.AddAsync(new IndexedLog(log, "shop", "main", 1, DateTimeOffset.UnixEpoch),
                new[] { new IndexChunk(1, 0, 10, "new format") }.ToAsyncEnumerable(), CancellationToken.None);
            Assert.Single(await index.CandidatesAsync(new LogSearchFilter("NEW FORMAT", null, null, null, null), CancellationToken.None).ToListAsync());
        }
        finally
        {
            (index as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void TrigramCodes_Of_GivesEachCodeOnceSorted_AlikeInAnyCase()
    {
        var codes = new TrigramCodes();

        var text = codes.Of("abcabc\nxyz\nab");
        Assert.Equal(4, text.Length); // ABC, BCA, CAB, XYZ (none from a line of two)
        Assert.Equal(text.Order(), text);
        Assert.Equal(text, codes.Of("ABCABC\nXYZ\nAB"));
        Assert.Equal(codes.Of("xyz"), TrigramCodes.OfQuery("XyZ"));
        Assert.Empty(TrigramCodes.OfQuery("ab"));
        Assert.Empty(TrigramCodes.OfQuery("a😀"));
    }

    [Theory]
    [InlineData("E-PAYMENT-7f3c9a1d failed", "payment-7F3C9")]
    [InlineData("Straße école \u001b[1m", "aßE ÉCO")]
    [InlineData("a😀b and \ud800 lone", "😀B AND \uD800")]
    public void TrigramCodes_OfQuery_IsInTheCodesOfEveryTextHoldingIt(string text, string query)
    {
        var codes = new TrigramCodes().Of(text);

        Assert.NotEmpty(TrigramCodes.OfQuery(query));
        Assert.All(TrigramCodes.OfQuery(query), code => Assert.Contains(code, codes));
    }
}
