using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Postgres;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// PostgreSQL (<c>ConnectionStrings:Pipeliner</c>), which several server replicas share. Migrations are those of
/// <see cref="PostgresPipelinerDbContext"/> (<c>Data/Migrations/Postgres</c>); Hangfire keeps its tables in the schema
/// <c>hangfire</c> of the same database.
/// </summary>
public sealed class PostgresDatabase(string connectionString, PipelinerOptions settings) : IDatabaseProvider
{
    /// <summary>The advisory lock (<c>pg_advisory_lock</c>) that one migrating replica holds while the others wait.</summary>
    public const long MigrationLockKey = 0x5049_5045_4C4E_5201; // "PIPELNR" + 1

    public const string HangfireSchema = "hangfire";

    public string Name => DatabaseOptions.Postgres;

    public bool SupportsReplicas => true;

    public string ConnectionString => connectionString;

    public void AddDbContext(IServiceCollection services) =>
        services.AddDbContextPool<PipelinerDbContext, PostgresPipelinerDbContext>(
            db => Configure(db, connectionString).UseStartupMigrations(), IDatabaseProvider.ContextPoolSize);

    /// <summary>The EF Core options of a context on PostgreSQL (also for tests and design time).</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder db, string connectionString) =>
        db.UseNpgsql(connectionString);

    public async Task MigrateAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        // The database itself first (it must exist to hold the lock); two replicas creating it at once: one wins.
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancellationToken))
        {
            try
            {
                await creator.CreateAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }

        if (await StartupMigrations.AreAppliedAsync(db, cancellationToken)) return;

        // A session-level advisory lock on a connection of its own: the first replica migrates, the others wait here and
        // then find nothing pending. If the migrating process dies, PostgreSQL ends its session and the lock with it.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            take.Parameters.AddWithValue("key", MigrationLockKey);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>REPEATABLE READ: one snapshot for every statement of the transaction (READ COMMITTED takes one per statement).</summary>
    public async Task<IAsyncDisposable> ReadSnapshotAsync(PipelinerDbContext db, CancellationToken cancellationToken) =>
        await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);

    public async Task<IAsyncDisposable> LockAsync(PipelinerDbContext db, ClusterLock kind, long id, CancellationToken cancellationToken)
    {
        // A session-level advisory lock: unlike a transaction's, it can span several saves (and a forge's answer between them).
        var key = AdvisoryKey(kind, id);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({key})", cancellationToken);
        }
        catch
        {
            await db.Database.CloseConnectionAsync();
            throw;
        }

        return new AdvisoryLock(db, key);
    }

    /// <summary>The kind in the top 16 bits, the id in the other 48 (ids stay far below 2^47).</summary>
    public static long AdvisoryKey(ClusterLock kind, long id) => ((long)kind << 48) | (id & 0xFFFF_FFFF_FFFF);

    private sealed class AdvisoryLock(PipelinerDbContext db, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({key})", CancellationToken.None);
            }
            finally
            {
                // Closing returns the connection to the pool, whose reset (DISCARD ALL) releases any lock still held.
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    // Row locks: the intake's insert waits for no other writer, so it writes the delivery's row itself.
    public Webhooks.IDeliveryJournal? CreateDeliveryJournal(IServiceProvider services) => null;

    // Every commit is flushed (synchronous_commit on).
    public IDisposable DurableWrites() => NoDurableScope.Instance;

    private sealed class NoDurableScope : IDisposable
    {
        public static readonly NoDurableScope Instance = new();

        public void Dispose()
        {
        }
    }

    public ILogSearchIndex CreateLogSearchIndex(IServiceProvider services) =>
        new PostgresLogSearchIndex(connectionString, services.GetRequiredService<ILogger<PostgresLogSearchIndex>>());

    /// <summary>Events in the database, rung through <c>LISTEN</c>/<c>NOTIFY</c> (<see cref="PostgresDoorbell"/>).</summary>
    public void AddRunEvents(IServiceCollection services)
    {
        services.AddSingleton(provider => new PostgresDoorbell(connectionString, provider.GetRequiredService<ILogger<PostgresDoorbell>>()));
        services.AddSingleton<IRunEventDoorbell>(provider => provider.GetRequiredService<PostgresDoorbell>());
        services.AddHostedService(provider => provider.GetRequiredService<PostgresDoorbell>());
        services.AddSingleton<DatabaseRunEvents>();
        services.AddSingleton<IRunEvents>(provider => provider.GetRequiredService<DatabaseRunEvents>());
        services.AddHostedService(provider => provider.GetRequiredService<DatabaseRunEvents>());
    }

    public JobStorage CreateJobStorage() => new PostgreSqlStorage(
        new NpgsqlConnectionFactory(connectionString, HangfireOptions(settings)), HangfireOptions(settings));

    /// <summary>
    /// Hangfire's defaults poll every 15 s and hide a fetched job for 30 min without extending it: a job running longer
    /// (a slow forge, a big fetch) would run a second time on another replica. A sliding invisibility timeout, kept alive by
    /// the server that runs the job, hides it for as long as it runs; a replica that dies releases it after one timeout.
    /// </summary>
    public static PostgreSqlStorageOptions HangfireOptions(PipelinerOptions settings) => new()
    {
        SchemaName = HangfireSchema,
        PrepareSchemaIfNecessary = true,
        QueuePollInterval = settings.QueuePollIntervalOr(replicas: true),
        InvisibilityTimeout = settings.Database.InvisibilityTimeout,
        UseSlidingInvisibilityTimeout = true,
        DistributedLockTimeout = TimeSpan.FromMinutes(1),
        StartupConnectionMaxRetries = 10,
    };
}
