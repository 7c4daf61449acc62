using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Pipeliner.Server.Data.Providers;

/// <summary>What a database error means, whichever provider raised it.</summary>
public static class DatabaseErrors
{
    private const int SqliteConstraint = 19;
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>A unique index refused the row (two requests adding the same name at once).</summary>
    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteConstraint,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// The database cannot be reached or is not serving now (restarting, shutting down, out of connections): what a
    /// retry a little later fixes, as opposed to an error in the request or the server. Npgsql's errors without a
    /// server answer are all of that kind (a refused or broken connection, a timeout, an exhausted pool); of
    /// PostgreSQL's answers, the connection exceptions (class 08), a shutdown (57P01–57P03) and too many connections.
    /// SQLite's "database is locked" (busy or locked) too: another writer held the one write lock for longer than the
    /// busy timeout (30 s), which a starved CPU does to a transaction; the same request succeeds when it is let go.
    /// </summary>
    public static bool IsUnavailable(Exception e) => IsSqliteBusy(e) || PostgresFailure(e) switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                                      || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                                          or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        not null => true,
        null => false,
    };

    private static bool IsSqliteBusy(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SqliteException sqlite) return sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked;
        }

        return false;
    }

    /// <summary>PostgreSQL's own error inside <paramref name="e"/> (EF Core wraps what it takes for transient), or null.</summary>
    public static NpgsqlException? PostgresFailure(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is NpgsqlException postgres) return postgres;
        }

        return null;
    }
}
