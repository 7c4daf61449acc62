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
    private ServerSqliteDatabase _database = null!;

    public async Task InitializeAsync() => _database = await ServerSqliteDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task MigrateAsync_PutsTheDatabaseInTheWriteAheadLog_WhenItStarts()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_database.DataDir, "pipeliner.db")};Pooling=False");
        await connection.OpenAsync();

        Assert.Equal("wal", await ScalarAsync<string>(connection, "PRAGMA journal_mode"));
    }

    [Fact]
    public async Task ConnectionOpened_FlushesEveryCommit_WhenAnHttpRequestWrites()
    {
        _database.Services.GetRequiredService<IHttpContextAccessor>().HttpContext = new DefaultHttpContext();
        try
        {
            var (busyTimeout, synchronous, autoCheckpoint) = await SettingsAsync();

            Assert.Equal(SqliteConnectionSettings.BusyTimeoutMilliseconds, busyTimeout);
            Assert.Equal(2, synchronous); // FULL
            Assert.Equal(0, autoCheckpoint); // never checkpoints: the request's answer does not wait for one
        }
        finally
        {
            _database.Services.GetRequiredService<IHttpContextAccessor>().HttpContext = null;
        }
    }

    [Fact]
    public async Task ConnectionOpened_LeavesTheFlushToTheNextCheckpoint_WhenBackgroundWorkWrites()
    {
        var (busyTimeout, synchronous, autoCheckpoint) = await SettingsAsync();

        Assert.Equal(SqliteConnectionSettings.BusyTimeoutMilliseconds, busyTimeout);
        Assert.Equal(1, synchronous); // NORMAL
        Assert.Equal(SqliteConnectionSettings.AutoCheckpointPages, autoCheckpoint);
    }

    [Fact]
    public async Task ConnectionOpened_FlushesEveryCommit_WhenBackgroundWorkAsksForDurableWrites()
    {
        long durable;
        using (SqliteConnectionSettings.Durably()) durable = (await SettingsAsync()).Synchronous;
        var after = (await SettingsAsync()).Synchronous;

        Assert.Equal((2, 1), (durable, after)); // FULL inside, NORMAL again after
    }

    [Fact]
    public async Task ConnectionOpened_CheckpointsAgain_WhenAConnectionARequestUsedIsReusedInTheBackground()
    {
        var accessor = _database.Services.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext();
        try
        {
            Assert.Equal(0, (await SettingsAsync()).AutoCheckpoint);
        }
        finally
        {
            accessor.HttpContext = null;
        }

        // The pool hands the same native connection out again, now to background work.
        Assert.Equal((SqliteConnectionSettings.AutoCheckpointPages, 1L), ((await SettingsAsync()).AutoCheckpoint, (await SettingsAsync()).Synchronous));
    }

    [Fact]
    public async Task Commit_LeavesTheLogToTheBackground_WhenARequestsWriteMakesItLongerThanTheCheckpointThreshold()
    {
        var accessor = _database.Services.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext();
        try
        {
            await using var scope = _database.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            await db.Database.OpenConnectionAsync();
            var connection = db.Database.GetDbConnection();
            await ExecuteAsync(connection, "CREATE TABLE \"Filler\" (\"Data\" BLOB)");
            // 1,200 pages of 4 KiB in one commit of the request's connection: over SQLite's threshold of 1,000.
            await ExecuteAsync(connection, "INSERT INTO \"Filler\" SELECT zeroblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) SELECT i FROM n)");

            // Nothing was copied back into the database file: a checkpoint would have grown it by the commit's 4.7 MiB.
            var size = new FileInfo(Path.Combine(_database.DataDir, "pipeliner.db")).Length;
            Assert.True(size < 1000 * 4096L, $"the request's commit checkpointed the log: pipeliner.db holds {size} bytes");
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    [Fact]
    public async Task Write_WaitsInSqliteUntilTheLockIsFree_WhenAnotherConnectionHoldsItBeyondTheCommandTimeout()
    {
        const string touch = "UPDATE \"Projects\" SET \"Name\" = \"Name\"";
        await using var scope = _database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        // Microsoft.Data.Sqlite alone gets SQLITE_BUSY at once, sleeps 150 ms between attempts and gives up (an exception)
        // once the command timeout has passed; SQLite's busy handler waits inside the statement, trying again after
        // 1, 2, 5… ms, so the write goes through as soon as the lock is free.
        db.Database.SetCommandTimeout(TimeSpan.FromSeconds(1));
        await using var holder = new SqliteConnection($"Data Source={Path.Combine(_database.DataDir, "pipeliner.db")};Pooling=False");
        await holder.OpenAsync();
        await ExecuteAsync(holder, $"BEGIN IMMEDIATE; {touch};");

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Microsoft.Data.Sqlite waits on the calling thread: the write gets one of its own.
        var write = Task.Run(async () =>
        {
            started.SetResult();
            return await db.Database.ExecuteSqlRawAsync(touch);
        });
        await started.Task;
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(write.IsCompleted, "the write did not wait for the lock");
        await ExecuteAsync(holder, "COMMIT;");

        Assert.Equal(0, await write); // no project: nothing updated, but no SQLITE_BUSY either
    }

    private static async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(long BusyTimeout, long Synchronous, long AutoCheckpoint)> SettingsAsync()
    {
        await using var scope = _database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        return (await ScalarAsync<long>(connection, "PRAGMA busy_timeout"), await ScalarAsync<long>(connection, "PRAGMA synchronous"),
            await ScalarAsync<long>(connection, "PRAGMA wal_autocheckpoint"));
    }

    private static async Task<T> ScalarAsync<T>(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
