using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Pipeliner.Server.Data.Providers;

/// <summary>What a database error means, whichever provider raised it.</summary>
public static class DatabaseErrors
{
    private const int SqliteConstraint = 19;

    /// <summary>A unique index refused the row (two requests adding the same name at once).</summary>
    public static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteConstraint,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

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
