using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// How the server's connections to <c>pipeliner.db</c> wait for each other and when a commit reaches the disk; all three
/// are SQLite's own settings:
/// <list type="bullet">
/// <item><b>Write-ahead log</b> (<c>journal_mode=WAL</c>, kept in the file, set once at start by
/// <see cref="UseWriteAheadLogAsync"/>): a reader never waits for a writer nor a writer for readers, so the runs list,
/// token checks and the dashboard read while runs and deliveries are written.</item>
/// <item><b>SQLite's busy handler</b> (<c>busy_timeout</c>, per connection): a writer that finds the write lock taken
/// waits inside SQLite, which tries again after 1, 2, 5, 10… ms. Without it SQLite answers <c>SQLITE_BUSY</c> at once and
/// Microsoft.Data.Sqlite tries the statement again only after sleeping 150 ms, so every collision of two writers cost
/// 150 ms or more (the slow webhook <c>202</c>s of issue 15).</item>
/// <item><b>When a commit is flushed</b> (<c>synchronous</c>, per connection): <c>FULL</c> — the log flushed to disk at
/// every commit — for the writes of an HTTP request, so what a client is answered (a webhook's <c>202</c>, a created
/// token, an agent's accepted report) survives a power loss; <c>NORMAL</c> for background work (run and job
/// transitions, log bookkeeping, heartbeats), whose commits reach the disk with the next flushed commit or checkpoint.
/// In the write-ahead log both survive a crash of the server process, and the database stays consistent after a power
/// loss, which can only take back the last background changes. The background writers hold the write lock for
/// microseconds instead of a disk flush, so a request's write rarely waits for them.</item>
/// <item><b>Who checkpoints</b> (<c>wal_autocheckpoint</c>, per connection): SQLite copies the log back into the
/// database file (and flushes both) in the commit that finds the log longer than <see cref="AutoCheckpointPages"/>, on
/// the committing connection after its write lock is released; that commit's caller waits for it. A request's connection
/// never checkpoints (0), so a webhook's <c>202</c> never waits for one; the background writers, which commit all the
/// time (run and job transitions, heartbeats, housekeeping), keep the log short at SQLite's default.</item>
/// </list>
/// </summary>
public sealed class SqliteConnectionSettings(IHttpContextAccessor http) : DbConnectionInterceptor
{
    /// <summary>As long as Microsoft.Data.Sqlite's own default command timeout: a write waits at most this long for the lock.</summary>
    public const int BusyTimeoutMilliseconds = 30_000;

    /// <summary>SQLite's default: a commit that leaves the log longer than this many pages checkpoints it.</summary>
    public const int AutoCheckpointPages = 1000;

    private const string Durable = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;";
    private const string Background = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 1000;";

    // Background work whose commits must be on disk when they return, like a request's (DeliveryTransfer: a journaled
    // delivery's row, before its journal entry goes).
    private static readonly AsyncLocal<bool> DurableWork = new();

    // What each native connection (pooled, so opened many times) was last set to: the pragmas run only when that changes.
    private readonly ConditionalWeakTable<object, string> _applied = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite runs every command synchronously: there is nothing to await.
        Apply(connection);
        return Task.CompletedTask;
    }

    /// <summary>Switches the database file to the write-ahead log (a no-op when it is in it already).</summary>
    public static async Task UseWriteAheadLogAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            var mode = (string?)await command.ExecuteScalarAsync(cancellationToken);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"pipeliner.db cannot use SQLite's write-ahead log (its journal mode stays '{mode}'): is the data directory on a network file system?");
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Until disposed, connections opened by this flow of work outside a request are set like a request's
    /// (<c>synchronous = FULL</c>: a commit is on disk when it returns).
    /// </summary>
    public static IDisposable Durably()
    {
        DurableWork.Value = true;
        return new EndOfDurableWork();
    }

    private sealed class EndOfDurableWork : IDisposable
    {
        public void Dispose() => DurableWork.Value = false;
    }

    private void Apply(DbConnection connection)
    {
        var wanted = http.HttpContext is null && !DurableWork.Value ? Background : Durable;
        object key = connection is SqliteConnection { Handle: { } handle } ? handle : connection;
        if (_applied.TryGetValue(key, out var applied) && ReferenceEquals(applied, wanted)) return;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = wanted;
            command.ExecuteNonQuery();
        }

        _applied.AddOrUpdate(key, wanted);
    }
}
