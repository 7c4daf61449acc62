using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// Which database errors a retry a little later fixes (answered 503 with a Retry-After, not 500): SQLite's write lock
/// held by another writer past the busy timeout is one, a refused row is not. The errors are SQLite's own, from real
/// connections to a file.
/// </summary>
public sealed class DatabaseErrorsTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-database-errors-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void IsUnavailable_IsTrue_WhenAnotherWriterHoldsTheSqliteWriteLock()
    {
        var path = _directory.Combine("busy.db");
        using var holder = Open(path);
        Execute(holder, "CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);");
        // A second of patience instead of the server's 30 s: the lock is held for good, so any wait ends the same way.
        using var writer = Open(path, timeoutSeconds: 1);

        var busy = Assert.Throws<SqliteException>(() => Execute(writer, "INSERT INTO t VALUES (2);"));

        Assert.True(DatabaseErrors.IsUnavailable(busy), busy.Message);
        Assert.True(DatabaseErrors.IsUnavailable(new DbUpdateException("saving failed", busy)));
    }

    [Fact]
    public void IsUnavailable_IsFalse_WhenSqliteRefusesTheRow()
    {
        using var connection = Open(_directory.Combine("unique.db"));
        Execute(connection, "CREATE TABLE t (x INTEGER UNIQUE); INSERT INTO t VALUES (1);");

        var refused = Assert.Throws<SqliteException>(() => Execute(connection, "INSERT INTO t VALUES (1);"));

        Assert.False(DatabaseErrors.IsUnavailable(new DbUpdateException("saving failed", refused)));
    }

    private static SqliteConnection Open(string path, int timeoutSeconds = 30)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout={timeoutSeconds}");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
