using Microsoft.Data.Sqlite;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>What every part of the SQLite search index uses to talk to its file: commands, and damage named as such.</summary>
internal static class SqliteIndexCommands
{
    /// <summary>A damaged, foreign or removed file is named as such, so that callers answer "rebuild the index" rather than fail.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 11 or 26
                                         || (e.SqliteErrorCode == 1 && e.Message.Contains("no such table", StringComparison.Ordinal)))
        {
            throw new LogSearchIndexDamagedException("the log search index is damaged; rebuild it (POST /api/admin/search/rebuild)", e);
        }
    }

    public static async Task Guard(Func<Task> action) => await Guard(async () =>
    {
        await action();
        return true;
    });

    public static void Bind(SqliteCommand command, LogRef log)
    {
        command.Parameters.AddWithValue("$run", log.RunId);
        command.Parameters.AddWithValue("$job", log.JobId);
        command.Parameters.AddWithValue("$attempt", log.Attempt);
    }

    public static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
