using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// <see cref="SqliteConnectionSettings"/> on a real <c>pipeliner.db</c>: the write-ahead log, SQLite's own busy handler
/// instead of Microsoft.Data.Sqlite's 150 ms sleeps, and flushed commits for what an HTTP request writes.
/// </summary>
public sealed class SqliteConnectionSettingsTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var provider = new SqliteDatabase(_directory.Path, new PipelinerOptions());
        var services = new ServiceCollection().AddLogging();
        provider.AddDbContext(services);
        _services = services.BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        await provider.MigrateAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    [Fact]
    public async Task MigrateAsync_PutsTheDatabaseInTheWriteAheadLog_WhenItStarts()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "pipeliner.db")};Pooling=False");
        await connection.OpenAsync();

        Assert.Equal("wal", await ScalarAsync<string>(connection, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task ConnectionOpened_FlushesEveryCommit_WhenAnHttpRequestWrites()
    {
        _services.GetRequiredService<IHttpContextAccessor>().HttpContext = new DefaultHttpContext();
        try
        {
            var (busyTimeout, synchronous) = await SettingsAsync();

            Assert.Equal(SqliteConnectionSettings.BusyTimeoutMilliseconds, busyTimeout);
            Assert.Equal(2, synchronous); // FULL
        }
        finally
        {
            _services.GetRequiredService<IHttpContextAccessor>().HttpContext = null;
        }
    }

    [Fact]
    public async Task ConnectionOpened_LeavesTheFlushToTheNextCheckpoint_WhenBackgroundWorkWrites()
    {
        var (busyTimeout, synchronous) = await SettingsAsync();

        Assert.Equal(SqliteConnectionSettings.BusyTimeoutMilliseconds, busyTimeout);
        Assert.Equal(1, synchronous); // NORMAL
    }

    [Fact]
    public async Task Write_EndsSoonAfterTheLockIsFree_WhenAnotherConnectionHeldIt()
    {
        const string touch = "UPDATE \"Projects\" SET \"Name\" = \"Name\"";
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Database.ExecuteSqlRawAsync(touch); // compiled and connected once: what follows is the wait alone
        await using var holder = new SqliteConnection($"Data Source={Path.Combine(_directory.Path, "pipeliner.db")};Pooling=False");
        await holder.OpenAsync();
        await ExecuteAsync(holder, $"BEGIN IMMEDIATE; {touch};");

        var started = new TaskCompletionSource<Stopwatch>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Microsoft.Data.Sqlite waits on the calling thread: the write gets one of its own.
        var write = Task.Run(async () =>
        {
            var clock = Stopwatch.StartNew();
            started.SetResult(clock);
            await db.Database.ExecuteSqlRawAsync(touch);
            return clock.Elapsed;
        });
        await started.Task;
        await Task.Delay(TimeSpan.FromMilliseconds(30));
        await ExecuteAsync(holder, "COMMIT;");
        var took = await write;

        // Microsoft.Data.Sqlite alone gets SQLITE_BUSY at once and tries again only after sleeping 150 ms; SQLite's busy
        // handler tries again 1, 3, 8, 18, 33… ms after the first attempt.
        Assert.True(took < TimeSpan.FromMilliseconds(145), $"the write took {took.TotalMilliseconds:0} ms; the lock was held about 30 ms of it");
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(long BusyTimeout, long Synchronous)> SettingsAsync()
    {
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        return (await ScalarAsync<long>(connection, "PRAGMA busy_timeout"), await ScalarAsync<long>(connection, "PRAGMA synchronous"));
    }

    private static async Task<T> ScalarAsync<T>(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
