using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Logs.Store;

/// <summary>
/// <see cref="DatabaseLogStore"/> on a real database: the same bytes as the file store for every read, appends by offset
/// stored once even when two replicas (two stores on one database) take the same batch at once, compaction.
/// </summary>
public abstract class DatabaseLogStoreTests(TestDatabase database) : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, 123, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly List<ServiceProvider> _providers = [];
    private TestPostgresDatabase? _postgres;
    private readonly LogCompletions _completions = new();
    private DatabaseLogStore _store = null!;

    public async Task InitializeAsync()
    {
        if (database == TestDatabase.Postgres) _postgres = await TestPostgres.CreateDatabaseAsync("logstore");
        _store = await NewStoreAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>A store of its own on the test's database, as another replica has.</summary>
    private async Task<DatabaseLogStore> NewStoreAsync()
    {
        IDatabaseProvider provider = _postgres is null
            ? new SqliteDatabase(_directory.Path, new PipelinerOptions())
            : new PostgresDatabase(_postgres.ConnectionString, new PipelinerOptions());
        var services = new ServiceCollection().AddLogging();
        provider.AddDbContext(services);
        var built = services.BuildServiceProvider();
        _providers.Add(built);
        await using (var scope = built.CreateAsyncScope())
            await provider.MigrateAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), CancellationToken.None);
        return new DatabaseLogStore(built.GetRequiredService<IServiceScopeFactory>(), _completions, new ZstdCompressors(), TimeProvider.System, NullLogger<DatabaseLogStore>.Instance);
    }

    private static LogRef Log(string job = "build") => new(7, job, 1, $"runs/7/{job}.1.log");

    private static string Read(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task AppendAsync_StoresTheLineFormat_WhenTheEmbeddedAgentsLinesArrive()
    {
        var log = Log();
        await _store.AppendAsync(log, [new LogLine(Noon, "compiling")], CancellationToken.None);
        await _store.AppendAsync(log, [new LogLine(Noon.AddSeconds(1), "multi\nline")], CancellationToken.None);

        Assert.Equal("2026-12-04T12:00:00.123Z compiling\n2026-12-04T12:00:01.123Z multi line\n", Read(_store.OpenRead(log)));
        Assert.Equal(new LogSize(71, 71, Compressed: false), _store.SizeOf(log));
    }

    [Fact]
    public async Task AppendAsync_StoresARemoteBatchOnce_WhenTwoReplicasTakeTheSameOffsetAtOnce()
    {
        var log = Log();
        var other = await NewStoreAsync();
        var batch = "2026-12-04T12:00:00.123Z token=abc\n2026-12-04T12:00:00.124Z next\n"u8.ToArray();
        var masker = new SecretMasker(["abc"]);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? _store : other).AppendAsync(log, 0, batch, masker, CancellationToken.None)));

        Assert.Single(answers, a => a.Lines.Count == 2);
        Assert.All(answers, a => Assert.Equal(batch.Length, a.Length));
        Assert.Equal(["token=***", "next"], answers.Single(a => a.Lines.Count == 2).Lines.Select(l => l.Text));
        Assert.Equal(batch.Length, await other.LengthAsync(log, CancellationToken.None));
        Assert.Equal("2026-12-04T12:00:00.123Z token=***\n2026-12-04T12:00:00.124Z next\n", Read(other.OpenRead(log)));

        var next = "2026-12-04T12:00:01.000Z more\n"u8.ToArray();
        Assert.False((await other.AppendAsync(log, 3, next, masker, CancellationToken.None)).Accepted);
        Assert.True((await other.AppendAsync(log, batch.Length, next, masker, CancellationToken.None)).Accepted);
        Assert.False(await _store.CompleteAsync(log, batch.Length, CancellationToken.None));
        Assert.True(await _store.CompleteAsync(log, batch.Length + next.Length, CancellationToken.None));
        Assert.True(_completions.Reader.TryRead(out _));
    }

    [Fact]
    public async Task OpenRead_IsEmpty_WhenNothingWasWritten()
    {
        Assert.Equal("", Read(_store.OpenRead(Log())));
        Assert.Null(_store.SizeOf(Log()));
        Assert.Equal(0, await _store.LengthAsync(Log(), CancellationToken.None));
    }

    [Fact]
    public async Task Read_AnswersRangesAcrossChunks_AndClampsToTheEnd()
    {
        var log = Log();
        foreach (var word in new[] { "abc", "defgh", "ij" }) await _store.AppendAsync(log, [new LogLine(Noon, word)], CancellationToken.None);
        var whole = Read(_store.OpenRead(log));

        foreach (var (offset, length) in new[] { (25L, 2L), (26L, 40L), (0L, 200L), (56L, 30L) })
        {
            var slice = _store.Read(log, offset, length);
            Assert.Equal(whole.Substring((int)slice.Start, (int)slice.Length), Read(slice.Content));
            Assert.Equal(whole.Length, slice.Total);
        }

        var beyond = _store.Read(log, 1000, 10);
        Assert.Equal(((long)whole.Length, 0L), (beyond.Start, beyond.Length));
    }

    [Fact]
    public async Task CompressAsync_KeepsEveryReadIdentical_WhenTheLogSpansManyChunks()
    {
        var log = Log();
        for (var batch = 0; batch < 30; batch++)
        {
            var lines = Enumerable.Range(1, 2_000).Select(i => new LogLine(Noon, $"line {batch}-{i} \u001b[32mok\u001b[0m {Guid.NewGuid()}")).ToList();
            await _store.AppendAsync(log, lines, CancellationToken.None);
        }

        byte[] plain;
        using (var copy = new MemoryStream())
        {
            await using var stream = _store.OpenRead(log);
            await stream.CopyToAsync(copy);
            plain = copy.ToArray();
        }

        var search = await _store.SearchAsync(log, "LINE 12-1234 OK", 10, CancellationToken.None);
        // A reader that opened before the compaction keeps reading the same bytes.
        await using var early = _store.OpenRead(log);

        Assert.True(await _store.CompressAsync(log, CancellationToken.None));
        Assert.False(await (await NewStoreAsync()).CompressAsync(log, CancellationToken.None));

        Assert.True(plain.Length > 3 * CompressedLog.BlockBytes);
        var size = _store.SizeOf(log)!;
        Assert.True(size.Compressed);
        Assert.Equal(plain.Length, size.Bytes);
        Assert.True(size.StoredBytes < plain.Length / 2, $"{size.StoredBytes} of {plain.Length}");
        foreach (var (offset, length) in new[] { (0L, 100L), (CompressedLog.BlockBytes - 10L, 50L), (plain.Length - 7L, 100L), (123_456L, 3_000_000L) })
        {
            var slice = _store.Read(log, offset, length);
            using var copy = new MemoryStream();
            await slice.Content.CopyToAsync(copy);
            Assert.Equal(plain.AsSpan((int)offset, (int)Math.Min(length, plain.Length - offset)).ToArray(), copy.ToArray());
        }

        using (var copy = new MemoryStream())
        {
            await early.CopyToAsync(copy);
            Assert.Equal(plain, copy.ToArray());
        }

        var after = await _store.SearchAsync(log, "LINE 12-1234 OK", 10, CancellationToken.None);
        Assert.Equal(search.Matches, after.Matches);
        Assert.Single(after.Matches);

        await _store.AppendAsync(log, [new LogLine(Noon, "late")], CancellationToken.None);
        Assert.EndsWith("Z late\n", Read(_store.OpenRead(log)), StringComparison.Ordinal);
        Assert.False(_store.SizeOf(log)!.Compressed);
    }

    [Fact]
    public async Task AppendNoteAsync_EndsACutOffLine_WhenTheWriterDied()
    {
        var log = Log();
        Assert.True((await _store.AppendAsync(log, 0, "2026-12-04T12:00:00.123Z whole\n"u8.ToArray(), SecretMasker.None, CancellationToken.None)).Accepted);
        await _store.AppendNoteAsync(log, "pipeliner: lost", CancellationToken.None);
        await _store.AppendNoteAsync(log, "pipeliner: again", CancellationToken.None);

        var lines = Read(_store.OpenRead(log)).Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.EndsWith("Z pipeliner: lost", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("Z pipeliner: again", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAsync_RemovesTheLog_WhetherPlainOrCompressed()
    {
        var plain = Log("a");
        var compressed = Log("b");
        await _store.AppendAsync(plain, [new LogLine(Noon, "x")], CancellationToken.None);
        await _store.AppendAsync(compressed, [new LogLine(Noon, "y")], CancellationToken.None);
        await _store.CompressAsync(compressed, CancellationToken.None);
        var stored = _store.SizeOf(compressed)!.StoredBytes;

        Assert.Equal(27, await _store.DeleteAsync(plain, CancellationToken.None));
        Assert.Equal(stored, await _store.DeleteAsync(compressed, CancellationToken.None));
        Assert.Null(_store.SizeOf(plain));
        Assert.Null(_store.SizeOf(compressed));
    }
}

public sealed class DatabaseLogStoreOnSqliteTests() : DatabaseLogStoreTests(TestDatabase.Sqlite);

[Trait("Database", "postgres")]
public sealed class DatabaseLogStoreOnPostgresTests() : DatabaseLogStoreTests(TestDatabase.Postgres);
