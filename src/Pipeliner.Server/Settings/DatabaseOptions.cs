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

    [Description("SQLite: how hard a commit waits for the disk (PRAGMA synchronous; the database is in WAL mode). normal (the default): a commit is written to the log without waiting for the disk, which is flushed at each checkpoint; the database stays consistent whatever happens, and a crash of the server loses nothing, but a power cut or a crash of the machine can lose the last commits before it. full: every commit waits until the disk has it (one flush per commit).")]
    [AllowedValues(SqliteSynchronousNormal, SqliteSynchronousFull, ErrorMessage = "must be normal or full")]
    public string SqliteSynchronous { get; set; } = SqliteSynchronousNormal;

    public const string SqliteSynchronousNormal = "normal";
    public const string SqliteSynchronousFull = "full";

    [Description("PostgreSQL: how long a background job (Hangfire) fetched by a server stays invisible to the others. The server running it keeps extending it (a sliding timeout), so a job longer than this never runs twice; a job of a server that died is taken up again after it.")]
    [Range(typeof(TimeSpan), "00:00:30", "1.00:00:00", ErrorMessage = "must be between 00:00:30 and 1.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
