using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// Sets <c>PRAGMA synchronous</c> (<c>Pipeliner:Database:SqliteSynchronous</c>) on each of SQLite's connections, once: the
/// setting belongs to a native connection, which Microsoft.Data.Sqlite's pool keeps open across the many
/// <see cref="SqliteConnection"/> objects that use it. EF Core creates <c>pipeliner.db</c> in WAL mode, where SQLite's
/// default (<c>full</c>) flushes the log to the disk at every commit — about ten flushes per one-job run; <c>normal</c>
/// flushes at checkpoints only and keeps the database consistent (https://www.sqlite.org/pragma.html#pragma_synchronous).
/// </summary>
public sealed class SqliteSynchronous(string level) : DbConnectionInterceptor
{
    private readonly ConditionalWeakTable<object, object> _set = new();
    private readonly string _pragma = $"PRAGMA synchronous = {(level == DatabaseOptions.SqliteSynchronousFull ? "FULL" : "NORMAL")};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (Handle(connection) is not { } handle) return;
        using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        command.ExecuteNonQuery();
        _set.AddOrUpdate(handle, handle);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (Handle(connection) is not { } handle) return;
        await using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
        _set.AddOrUpdate(handle, handle);
    }

    /// <summary>The native connection when it has not been set yet; null otherwise.</summary>
    private object? Handle(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && !_set.TryGetValue(handle, out _) ? handle : null;
}
