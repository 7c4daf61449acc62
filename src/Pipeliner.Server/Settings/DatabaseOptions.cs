using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Pipeliner.Server.Settings;

/// <summary>Section <c>Pipeliner:Database</c>; PostgreSQL's address is the connection string <c>ConnectionStrings:Pipeliner</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    public const string ConnectionStringName = "Pipeliner";

    [Description("The database: sqlite (the default, a file in the data directory, for one server) or postgres (ConnectionStrings:Pipeliner; several server replicas may share it).")]
    [AllowedValues(Sqlite, Postgres, ErrorMessage = "must be sqlite or postgres")]
    public string Provider { get; set; } = Sqlite;

    [Description("Apply the database migrations (and the background jobs' schema), then exit: a deploy step run before the replicas start.")]
    public bool MigrateOnly { get; set; }

    [Description("Copy an existing SQLite installation (its pipeliner.db, or the data directory holding it) into the PostgreSQL database of ConnectionStrings:Pipeliner, then exit: every table, ids and sequences kept. The PostgreSQL database is migrated first and must hold no data. Stop the SQLite server before.")]
    public string? CopyFrom { get; set; }

    [Description("PostgreSQL: how long a background job (Hangfire) fetched by a server stays invisible to the others. The server running it keeps extending it (a sliding timeout), so a job longer than this never runs twice; a job of a server that died is taken up again after it.")]
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00", ErrorMessage = "must be between 00:00:30 and 1.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    [Description("SQLite: true makes the server's writers take turns for the database's one write lock before asking SQLite for it: a write an HTTP request waits for (a webhook's 202, an agent's report) goes before the background's, and the next writer is woken the moment the lock is left. false leaves every writer to SQLite's busy handler, which retries after 1, 2, 5, 10, 15, 20, 25… ms (the default: the turns did not show a better webhook 202 on a loaded machine, see docs/performance.md).")]
    public bool SqliteWriteTurns { get; set; }
}
