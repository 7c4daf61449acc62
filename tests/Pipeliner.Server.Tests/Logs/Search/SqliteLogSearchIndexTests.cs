using Microsoft.Extensions.Logging.Abstractions;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Sqlite;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Logs.Search;

public sealed class SqliteLogSearchIndexTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private SqliteLogSearchIndex Open() => new(_directory.Combine("search.db"), NullLogger<SqliteLogSearchIndex>.Instance);

    private static IndexedLog Log(long run, string job = "build") => new(new LogRef(run, job, 1, $"runs/{run}/logs/{job}/1.log"), "shop", "main", (int)run, Noon);

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

    private static async Task<List<CandidateChunk>> Candidates(ILogSearchIndex index, string query, string? project = null) =>
        await index.CandidatesAsync(new LogSearchFilter(query, project, null, null, null), CancellationToken.None).ToListAsync();

    [Fact]
    public async Task CandidatesAsync_GivesNewestRunFirstAndEachRunsPiecesInOrder_AfterTheIndexIsReopened()
    {
        using (var index = Open())
        {
            await index.AddAsync(Log(1), Chunks("a NullReferenceException here", "nothing"), CancellationToken.None);
            await index.AddAsync(Log(2), Chunks("first nullreferenceexception", "second NULLREFERENCEEXCEPTION"), CancellationToken.None);
            await index.AddAsync(Log(2, "test"), Chunks("third NullReferenceException"), CancellationToken.None);
            await index.SetCaughtUpToAsync(42, CancellationToken.None);
        }

        using var reopened = Open();
        var found = await Candidates(reopened, "nullreferenceEXCEPTION");

        Assert.Equal([(2L, "build", 1L), (2L, "build", 101L), (2L, "test", 1L), (1L, "build", 1L)],
            found.Select(c => (c.Log.Log.RunId, c.Log.Log.JobId, c.FirstLine)));
        Assert.Equal(42, await reopened.GetCaughtUpToAsync(CancellationToken.None));
        Assert.Empty(await Candidates(reopened, "exceptional"));
        Assert.Empty(await Candidates(reopened, "NullReferenceException", project: "other"));
        var stats = await reopened.StatsAsync(CancellationToken.None);
        Assert.Equal((3L, 5L), (stats.Logs, stats.Chunks));
    }

    [Fact]
    public async Task AddAsync_ReplacesALogsPieces_AndRemoveAsyncDropsThem()
    {
        using var index = Open();
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
        using var index = Open();
        await index.AddAsync(Log(1), Chunks("something"), CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await File.WriteAllTextAsync(_directory.Combine("search.db"), new string('x', 10_000));

        await Assert.ThrowsAsync<LogSearchIndexDamagedException>(() => Candidates(index, "something"));
        await index.ClearAsync(CancellationToken.None);
        Assert.Empty(await Candidates(index, "something"));
    }

    [Theory]
    [InlineData("abc", "\"abc\"")]
    [InlineData("abcd", "\"abc\" AND \"bcd\"")]
    [InlineData("aaaa", "\"aaa\"")]
    [InlineData("a\"b\"", "\"a\"\"b\" AND \"\"\"b\"\"\"")]
    [InlineData("ab", null)]
    [InlineData("a😀", null)]
    public void TrigramQuery_Of_QuotesEveryDistinctPiece(string text, string? query) => Assert.Equal(query, TrigramQuery.Of(text));

    [Fact]
    public async Task LogChunker_CutsIntoPiecesWithLineNumbersAndOffsets_MaskingSecrets()
    {
        var lines = Enumerable.Range(1, 250).Select(i => $"2026-12-04T12:00:00.000Z line {i} s3cr3t \u001b[1mbold\u001b[0m").ToList();
        var bytes = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
        var chunks = await LogChunker.ChunksAsync(new MemoryStream(bytes), new SecretMasker(["s3cr3t"]), CancellationToken.None).ToListAsync();

        Assert.Equal([1L, 101L, 201L], chunks.Select(c => c.FirstLine));
        Assert.Equal(bytes.Length, chunks.Sum(c => c.Length));
        Assert.Equal(0, chunks[0].Offset);
        Assert.Equal(chunks[0].Length, chunks[1].Offset);
        Assert.Equal("line 101 *** bold", chunks[1].Text.Split('\n')[0]);
        Assert.Equal(50, chunks[2].Text.Split('\n').Length);
    }
}
