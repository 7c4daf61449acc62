using Hangfire;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The one place that knows which database the server runs on (<c>Pipeliner:Database:Provider</c>). Everything outside
/// <c>Data/Providers</c> is provider-neutral: LINQ, <c>ExecuteUpdate</c>/<c>ExecuteDelete</c>, and SQL both databases
/// accept. What differs — the EF provider and its migrations, how migrating is serialised between replicas, Hangfire's
/// storage, error codes, and features such as a search index — is asked of this interface (extend it for a new one).
/// </summary>
public interface IDatabaseProvider
{
    /// <summary><c>sqlite</c> or <c>postgres</c>, as configured.</summary>
    string Name { get; }

    /// <summary>Whether several server processes may share this database (replicas).</summary>
    bool SupportsReplicas { get; }

    /// <summary>
    /// Registers <see cref="PipelinerDbContext"/> (the provider's own subclass with its own migrations), pooled: a scope
    /// leases a context that was set up once (options, internal services, model) and is reset when the scope ends —
    /// building one per scope was ~10 % of a busy server's CPU (an agent's call, a claim, a change each make scopes).
    /// </summary>
    void AddDbContext(IServiceCollection services);

    /// <summary>How many idle contexts the pool keeps (more may be leased at once; those are disposed when returned).</summary>
    const int ContextPoolSize = 64;

    /// <summary>Applies pending migrations; when several servers start at once, one migrates while the others wait.</summary>
    Task MigrateAsync(PipelinerDbContext db, CancellationToken cancellationToken);

    /// <summary>
    /// Registers the run events' bus (<see cref="Runs.IRunEvents"/>): in memory for one server, in the database with a
    /// doorbell for replicas.
    /// </summary>
    void AddRunEvents(IServiceCollection services);

    /// <summary>Hangfire's storage on this database.</summary>
    JobStorage CreateJobStorage();

    /// <summary>
    /// Holds the lock on <paramref name="id"/> of <paramref name="kind"/> for every server on this database until disposed,
    /// on <paramref name="db"/>'s connection (kept open meanwhile). Taken after the process's own keyed lock, so a process
    /// waits with one connection at most per key. A server that dies releases it with its connection.
    /// </summary>
    Task<IAsyncDisposable> LockAsync(PipelinerDbContext db, ClusterLock kind, long id, CancellationToken cancellationToken);

    /// <summary>The search index of final logs on this database (SQLite: a file of its own; PostgreSQL: a schema every replica shares).</summary>
    ILogSearchIndex CreateLogSearchIndex(IServiceProvider services);

    /// <summary>
    /// The journal the webhook intake records an accepted delivery in before its <c>202</c> (<see
    /// cref="Webhooks.IDeliveryJournal"/>), when the database has one write lock for everything: SQLite's file of its own,
    /// so that the answer waits for no other writer. Null on PostgreSQL, whose row locks let the intake insert the row itself.
    /// </summary>
    Webhooks.IDeliveryJournal? CreateDeliveryJournal(IServiceProvider services);

    /// <summary>
    /// Until disposed, commits of this flow of work outside a request are on disk when they return, like a request's
    /// (SQLite's background connections otherwise commit with <c>synchronous = NORMAL</c>; PostgreSQL's always are).
    /// </summary>
    IDisposable DurableWrites();

    /// <summary>
    /// A read-only transaction on <paramref name="db"/> until disposed, in which every statement sees the same committed
    /// state: a read made of several statements (a split query) cannot mix rows from before and after another
    /// process's commit, e.g. a run still running with its last job already ended. It takes no write lock.
    /// </summary>
    Task<IAsyncDisposable> ReadSnapshotAsync(PipelinerDbContext db, CancellationToken cancellationToken);
}

/// <summary>What a cluster-wide lock guards; each kind has its own keys.</summary>
public enum ClusterLock
{
    /// <summary>A run aggregate: every change to it (claims, reports, cancels, approvals) one at a time.</summary>
    Run = 1,

    /// <summary>A commit status context: its updates reach the forge one at a time, oldest first.</summary>
    ForgeStatusContext = 2,

    /// <summary>The retention pass (one key): one pass at a time across replicas.</summary>
    Retention = 3,

    /// <summary>The log search index's pieces of one run (key: the run's id), while a log of it is indexed.</summary>
    LogSearchRun = 4,

    /// <summary>The log search index's schema (key 0), while it is made or dropped.</summary>
    LogSearchSchema = 5,

    /// <summary>The Data Protection key ring at start: keys imported and the first key made by one replica at a time.</summary>
    DataProtectionKeys = 6,
}

/// <summary>Picks the configured provider.</summary>
public static class DatabaseProviders
{
    public static IDatabaseProvider For(PipelinerOptions settings, IConfiguration configuration, string dataDir)
    {
        if (settings.Database.Provider != DatabaseOptions.Postgres) return new SqliteDatabase(dataDir, settings);
        var connectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new OptionsValidationException(PipelinerOptions.Section, typeof(PipelinerOptions),
            [
                $"ConnectionStrings:{DatabaseOptions.ConnectionStringName}: required when Pipeliner:Database:Provider is postgres " +
                "(e.g. Host=db.example.com;Database=pipeliner;Username=pipeliner;Password=…)",
            ]);
        }

        return new PostgresDatabase(connectionString, settings);
    }
}
