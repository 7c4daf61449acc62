using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Artifacts;

/// <summary>
/// One contract for every store of artifacts, caches and agents' uploads — the file stores in a data directory and the
/// database stores on SQLite and PostgreSQL — run against each (the subclasses below only say which). Archives larger
/// than a database chunk (1 MiB) are streamed in from streams that cannot seek, and every store is read through a
/// second instance on the same backing, as another replica reads it.
/// </summary>
public abstract class ArchiveStoreContractTests : IAsyncLifetime
{
    private const long RunId = 41;
    private readonly List<ServiceProvider> _providers = [];
    private Stores _store = null!;
    private Stores _replica = null!;

    private protected TempDirectory Directory { get; } = new("pipeliner-archive-stores-");

    /// <summary>The stores, in a data directory or on a database.</summary>
    protected sealed record Stores(IArtifactStore Artifacts, ICacheStore Caches, IAttemptUploads Uploads);

    protected virtual Task PrepareAsync() => Task.CompletedTask;

    /// <summary>A store on the test's backing: each call is another instance, as another replica has.</summary>
    protected abstract Task<Stores> CreateAsync();

    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    public async Task InitializeAsync()
    {
        await PrepareAsync();
        _store = await CreateAsync();
        _replica = await CreateAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        await CleanUpAsync();
        Directory.Dispose();
    }

    /// <summary>The database stores on <paramref name="database"/>, migrated, in a service provider of their own.</summary>
    protected async Task<Stores> DatabaseStoresAsync(IDatabaseProvider database)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(TimeProvider.System);
        database.AddDbContext(services);
        services.AddArchiveStores(new StorageOptions { Provider = StorageOptions.Database });
        var built = services.BuildServiceProvider();
        _providers.Add(built);
        await using (var scope = built.CreateAsyncScope())
            await database.MigrateAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), CancellationToken.None);
        return new Stores(built.GetRequiredService<IArtifactStore>(), built.GetRequiredService<ICacheStore>(), built.GetRequiredService<IAttemptUploads>());
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static ArchiveSource Source(string path, byte[] bytes) => new(path, _ => Task.FromResult<Stream?>(new OneWayStream(bytes)));

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<byte[]> ReadAllAsync(Stream? stream)
    {
        Assert.NotNull(stream);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public async Task SaveAsync_KeepsEveryByteAndDigest_WhenArchivesSpanSeveralChunks()
    {
        var big = Bytes(DatabaseArchives.ChunkBytes * 2 + 12_345, 1);
        var exact = Bytes(DatabaseArchives.ChunkBytes, 2);
        var empty = Array.Empty<byte>();

        var saved = await _store.Artifacts.SaveAsync(RunId, "build (linux)", [Source("dist", big), Source("bin/app", exact), Source("empty", empty),
            new ArchiveSource("missing", _ => Task.FromResult<Stream?>(null))], maxBytes: null, CancellationToken.None);

        Assert.Equal([("dist", big.Length, Sha(big)), ("bin/app", exact.Length, Sha(exact)), ("empty", 0L, Sha(empty))],
            saved.Select(a => (a.Path, a.Size, a.Sha256)));
        Assert.Equal(saved, await _replica.Artifacts.ReadAsync(RunId, "build (linux)", CancellationToken.None));
        Assert.Equal(big, await ReadAllAsync(await _replica.Artifacts.OpenReadAsync(RunId, "build (linux)", saved[0].File, CancellationToken.None)));
        Assert.Equal(exact, await ReadAllAsync(await _replica.Artifacts.OpenReadAsync(RunId, "build (linux)", saved[1].File, CancellationToken.None)));
        Assert.Empty(await ReadAllAsync(await _replica.Artifacts.OpenReadAsync(RunId, "build (linux)", saved[2].File, CancellationToken.None)));
        Assert.InRange(await _replica.Artifacts.SizeOfAsync(RunId, CancellationToken.None), big.Length + exact.Length, big.Length + exact.Length + 4096);
    }

    [Fact]
    public async Task OpenReadAsync_ReadsFromAnyPosition_WhenTheStreamSeeks()
    {
        var bytes = Bytes(DatabaseArchives.ChunkBytes + 500, 3);
        var saved = await _store.Artifacts.SaveAsync(RunId, "build", [Source("dist", bytes)], null, CancellationToken.None);

        await using var stream = await _replica.Artifacts.OpenReadAsync(RunId, "build", saved[0].File, CancellationToken.None);
        Assert.NotNull(stream);
        Assert.Equal(bytes.Length, stream.Length);
        stream.Seek(DatabaseArchives.ChunkBytes - 10, SeekOrigin.Begin);
        var across = new byte[20];
        await stream.ReadExactlyAsync(across);
        Assert.Equal(bytes.AsSpan(DatabaseArchives.ChunkBytes - 10, 20).ToArray(), across);
    }

    [Fact]
    public async Task SaveAsync_ReplacesTheJobsArchives_WhenTheJobSavesAgain()
    {
        await _store.Artifacts.SaveAsync(RunId, "build", [Source("old", Bytes(100, 4)), Source("other", Bytes(50, 5))], null, CancellationToken.None);
        var fresh = Bytes(70, 6);

        await _replica.Artifacts.SaveAsync(RunId, "build", [Source("new", fresh)], null, CancellationToken.None);

        var read = await _store.Artifacts.ReadAsync(RunId, "build", CancellationToken.None);
        Assert.Equal([("new", "0.tar", 70L)], read!.Select(a => (a.Path, a.File, a.Size)));
        Assert.Equal(fresh, await ReadAllAsync(await _store.Artifacts.OpenReadAsync(RunId, "build", "0.tar", CancellationToken.None)));
        Assert.Null(await _store.Artifacts.OpenReadAsync(RunId, "build", "1.tar", CancellationToken.None));
    }

    [Fact]
    public async Task SaveAsync_KeepsNothingAndLeavesTheOldArchives_WhenPastTheLimit()
    {
        var kept = Bytes(10, 7);
        await _store.Artifacts.SaveAsync(RunId, "build", [Source("dist", kept)], null, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<ArchiveTooLargeException>(() => _store.Artifacts.SaveAsync(RunId, "build",
            [Source("a", Bytes(DatabaseArchives.ChunkBytes, 8)), Source("b", Bytes(DatabaseArchives.ChunkBytes, 9))], 3 * DatabaseArchives.ChunkBytes / 2,
            CancellationToken.None));

        Assert.Equal(3 * DatabaseArchives.ChunkBytes / 2, refused.MaxBytes);
        Assert.Equal([("dist", 10L)], (await _replica.Artifacts.ReadAsync(RunId, "build", CancellationToken.None))!.Select(a => (a.Path, a.Size)));
        Assert.Equal(kept, await ReadAllAsync(await _replica.Artifacts.OpenReadAsync(RunId, "build", "0.tar", CancellationToken.None)));
        Assert.InRange(await _store.Artifacts.SizeOfAsync(RunId, CancellationToken.None), 10, 4096);
    }

    [Fact]
    public async Task DeleteAsync_RemovesEveryJobsArchivesOfTheRunOnly_AndSaysTheBytesFreed()
    {
        await _store.Artifacts.SaveAsync(RunId, "build", [Source("dist", Bytes(3000, 10))], null, CancellationToken.None);
        await _store.Artifacts.SaveAsync(RunId, "test", [Source("report", Bytes(2000, 11))], null, CancellationToken.None);
        await _store.Artifacts.SaveAsync(RunId + 1, "build", [Source("dist", Bytes(1000, 12))], null, CancellationToken.None);
        var size = await _store.Artifacts.SizeOfAsync(RunId, CancellationToken.None);

        var freed = await _replica.Artifacts.DeleteAsync(RunId, CancellationToken.None);

        Assert.Equal(size, freed);
        Assert.InRange(freed, 5000, 5000 + 4096);
        Assert.Equal(0, await _store.Artifacts.SizeOfAsync(RunId, CancellationToken.None));
        Assert.Null(await _store.Artifacts.ReadAsync(RunId, "build", CancellationToken.None));
        Assert.Null(await _store.Artifacts.OpenReadAsync(RunId, "test", "0.tar", CancellationToken.None));
        Assert.Equal(0, await _store.Artifacts.DeleteAsync(RunId, CancellationToken.None));
        Assert.Equal([("dist", 1000L)], (await _store.Artifacts.ReadAsync(RunId + 1, "build", CancellationToken.None))!.Select(a => (a.Path, a.Size)));
    }

    [Fact]
    public async Task Caches_AreSavedReadListedAndDeleted_PerProjectScopeAndKey()
    {
        var deps = Bytes(DatabaseArchives.ChunkBytes + 1, 13);
        await _store.Caches.SaveAsync("shop api", "branch/main", "deps-v1", [Source("node_modules", deps)], CancellationToken.None);
        await _store.Caches.SaveAsync("shop api", "pull/7", "deps-v1", [Source("node_modules", Bytes(10, 14))], CancellationToken.None);
        await _store.Caches.SaveAsync("other", "branch/main", "deps-v1", [Source("node_modules", Bytes(10, 15))], CancellationToken.None);

        var read = (await _replica.Caches.ReadAsync("shop api", "branch/main", "deps-v1", CancellationToken.None))!;
        Assert.Equal([("node_modules", (long)deps.Length, Sha(deps))], read.Select(a => (a.Path, a.Size, a.Sha256)));
        Assert.Equal(deps, await ReadAllAsync(await _replica.Caches.OpenReadAsync("shop api", "branch/main", "deps-v1", read[0].File, CancellationToken.None)));
        Assert.Null(await _replica.Caches.ReadAsync("shop api", "branch/dev", "deps-v1", CancellationToken.None));
        Assert.Null(await _replica.Caches.OpenReadAsync("shop api", "branch/dev", "deps-v1", "0.tar", CancellationToken.None));

        var listed = (await _replica.Caches.ListAsync("shop api", CancellationToken.None)).OrderBy(c => c.Scope, StringComparer.Ordinal).ToList();
        Assert.Equal([PathSlug.For("branch/main"), PathSlug.For("pull/7")], listed.Select(c => c.Scope));
        Assert.All(listed, c => Assert.Equal(("shop api", PathSlug.For("deps-v1")), (c.Project, c.Key)));
        Assert.InRange(listed[0].Bytes, deps.Length, deps.Length + 4096);
        Assert.InRange(listed[0].SavedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        Assert.Equal(listed[0].Bytes, await _replica.Caches.DeleteAsync(listed[0], CancellationToken.None));
        Assert.Null(await _store.Caches.ReadAsync("shop api", "branch/main", "deps-v1", CancellationToken.None));
        Assert.Equal([PathSlug.For("pull/7")], (await _store.Caches.ListAsync("shop api", CancellationToken.None)).Select(c => c.Scope));
        Assert.Single(await _store.Caches.ListAsync("other", CancellationToken.None));
    }

    [Fact]
    public async Task Uploads_AreKeptOnlyWithTheirDigest_AndGoWithTheirAttempt()
    {
        var bytes = Bytes(DatabaseArchives.ChunkBytes + 77, 16);

        var wrong = await _store.Uploads.SaveAsync(9, "artifacts", 0, new OneWayStream(bytes), long.MaxValue, new string('0', 64), CancellationToken.None);
        Assert.Equal(Sha(bytes), wrong);
        Assert.Null(await _replica.Uploads.SizeOfAsync(9, "artifacts", 0, CancellationToken.None));

        Assert.Equal(Sha(bytes), await _store.Uploads.SaveAsync(9, "artifacts", 0, new OneWayStream(bytes), long.MaxValue, Sha(bytes), CancellationToken.None));
        await _store.Uploads.SaveAsync(9, "cache", 0, new OneWayStream([1, 2, 3]), long.MaxValue, Sha([1, 2, 3]), CancellationToken.None);
        await _store.Uploads.SaveAsync(10, "artifacts", 0, new OneWayStream([4]), long.MaxValue, Sha([4]), CancellationToken.None);
        await Assert.ThrowsAsync<ArchiveTooLargeException>(() =>
            _store.Uploads.SaveAsync(9, "reports", 0, new OneWayStream(Bytes(100, 17)), 99, Sha(Bytes(100, 17)), CancellationToken.None));

        Assert.Equal(bytes.Length, await _replica.Uploads.SizeOfAsync(9, "artifacts", 0, CancellationToken.None));
        Assert.Equal(bytes, await ReadAllAsync(await _replica.Uploads.OpenReadAsync(9, "artifacts", 0, CancellationToken.None)));
        Assert.Null(await _replica.Uploads.SizeOfAsync(9, "reports", 0, CancellationToken.None));

        await _replica.Uploads.DeleteAsync(9, CancellationToken.None);
        Assert.Null(await _store.Uploads.SizeOfAsync(9, "artifacts", 0, CancellationToken.None));
        Assert.Null(await _store.Uploads.OpenReadAsync(9, "cache", 0, CancellationToken.None));
        Assert.Equal(1, await _store.Uploads.SizeOfAsync(10, "artifacts", 0, CancellationToken.None));
    }

    [Fact]
    public async Task AttemptsAsync_ListsEveryAttemptHoldingUploads_UntilItsUploadsAreDeleted()
    {
        Assert.Empty(await _replica.Uploads.AttemptsAsync(CancellationToken.None));
        await SaveUploadAsync(_store, 21, "artifacts", 0, Bytes(DatabaseArchives.ChunkBytes + 5, 31));
        await SaveUploadAsync(_store, 21, "cache", 0, [1]);
        await SaveUploadAsync(_store, 4_000_000_022, "reports", 3, [2]);

        Assert.Equal([21, 4_000_000_022], (await _replica.Uploads.AttemptsAsync(CancellationToken.None)).Order());

        await _replica.Uploads.DeleteAsync(21, CancellationToken.None);
        Assert.Equal([4_000_000_022], await _store.Uploads.AttemptsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HeldBesidesAsync_CountsTheAttemptsOtherUploadsOfTheKind_AndDeleteKindAsyncRemovesOnlyThem()
    {
        await SaveUploadAsync(_store, 9, "artifacts", 0, Bytes(DatabaseArchives.ChunkBytes + 5, 20));
        await SaveUploadAsync(_store, 9, "artifacts", 1, Bytes(300, 21));
        await SaveUploadAsync(_store, 9, "artifacts", 10, Bytes(40, 22));
        await SaveUploadAsync(_store, 9, "cache", 0, Bytes(7, 23));
        await SaveUploadAsync(_store, 10, "artifacts", 2, Bytes(1000, 24));
        await Assert.ThrowsAsync<ArchiveTooLargeException>(() =>
            _store.Uploads.SaveAsync(9, "artifacts", 2, new OneWayStream(Bytes(100, 25)), 99, Sha(Bytes(100, 25)), CancellationToken.None));

        Assert.Equal(300 + 40, await _replica.Uploads.HeldBesidesAsync(9, "artifacts", 0, CancellationToken.None));
        Assert.Equal(DatabaseArchives.ChunkBytes + 5 + 40, await _replica.Uploads.HeldBesidesAsync(9, "artifacts", 1, CancellationToken.None));
        Assert.Equal(DatabaseArchives.ChunkBytes + 5 + 300 + 40, await _replica.Uploads.HeldBesidesAsync(9, "artifacts", 2, CancellationToken.None));
        Assert.Equal(0, await _replica.Uploads.HeldBesidesAsync(9, "cache", 0, CancellationToken.None));
        Assert.Equal(0, await _replica.Uploads.HeldBesidesAsync(9, "reports", 0, CancellationToken.None));

        await _replica.Uploads.DeleteKindAsync(9, "artifacts", CancellationToken.None);
        Assert.Equal(0, await _store.Uploads.HeldBesidesAsync(9, "artifacts", 5, CancellationToken.None));
        Assert.Null(await _store.Uploads.SizeOfAsync(9, "artifacts", 1, CancellationToken.None));
        Assert.Equal(7, await _store.Uploads.SizeOfAsync(9, "cache", 0, CancellationToken.None));
        Assert.Equal(1000, await _store.Uploads.SizeOfAsync(10, "artifacts", 2, CancellationToken.None));
    }

    [Fact]
    public async Task SaveAsync_LeavesOneWholeGeneration_WhenTwoReplicasSaveTheSameCacheAtOnce()
    {
        var first = Bytes(DatabaseArchives.ChunkBytes + 3, 18);
        var second = Bytes(DatabaseArchives.ChunkBytes + 5, 19);

        await Task.WhenAll(
            _store.Caches.SaveAsync("shop", "branch/main", "deps", [Source("a", first), Source("b", first)], CancellationToken.None),
            _replica.Caches.SaveAsync("shop", "branch/main", "deps", [Source("a", second), Source("b", second)], CancellationToken.None));

        var read = (await _store.Caches.ReadAsync("shop", "branch/main", "deps", CancellationToken.None))!;
        Assert.Equal(2, read.Count);
        var winner = read[0].Sha256 == Sha(first) ? first : second;
        Assert.All(read, a => Assert.Equal(Sha(winner), a.Sha256));
        foreach (var archive in read)
            Assert.Equal(winner, await ReadAllAsync(await _store.Caches.OpenReadAsync("shop", "branch/main", "deps", archive.File, CancellationToken.None)));
    }

    private static async Task SaveUploadAsync(Stores stores, long attemptId, string kind, int index, byte[] bytes) =>
        Assert.Equal(Sha(bytes), await stores.Uploads.SaveAsync(attemptId, kind, index, new OneWayStream(bytes), long.MaxValue, Sha(bytes), CancellationToken.None));

    /// <summary>A stream that cannot seek and answers reads in small pieces, as a request body or a container's archive does.</summary>
    private sealed class OneWayStream(byte[] bytes) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 70_001), bytes.Length - _position);
            bytes.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public sealed class FileArchiveStoreTests : ArchiveStoreContractTests
{
    protected override Task<Stores> CreateAsync()
    {
        var layout = new DataLayout(Directory.Path);
        return Task.FromResult(new Stores(new FileArtifactStore(layout), new FileCacheStore(layout), new FileAttemptUploads(layout)));
    }
}

public sealed class DatabaseArchiveStoreOnSqliteTests : ArchiveStoreContractTests
{
    protected override Task<Stores> CreateAsync() => DatabaseStoresAsync(new SqliteDatabase(Directory.Path, new PipelinerOptions()));
}

[Trait("Database", "postgres")]
public sealed class DatabaseArchiveStoreOnPostgresTests : ArchiveStoreContractTests
{
    private TestPostgresDatabase? _database;

    protected override async Task PrepareAsync() => _database = await TestPostgres.CreateDatabaseAsync("archives");

    protected override Task<Stores> CreateAsync() => DatabaseStoresAsync(new PostgresDatabase(_database!.ConnectionString, new PipelinerOptions()));

    protected override async ValueTask CleanUpAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }
}
