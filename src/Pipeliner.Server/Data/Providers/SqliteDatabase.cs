using Hangfire;
using Hangfire.Storage.SQLite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Sqlite;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The zero-configuration default: <c>pipeliner.db</c> and <c>hangfire.db</c> in the data directory, for one server.
/// Its migrations are those of <see cref="PipelinerDbContext"/> itself (<c>Data/Migrations</c>).
/// </summary>
public sealed class SqliteDatabase(string dataDir, PipelinerOptions settings) : IDatabaseProvider
{
    public string Name => DatabaseOptions.Sqlite;

    public bool SupportsReplicas => false;

    public string ConnectionString => $"Data Source={Path.Combine(dataDir, "pipeliner.db")}";

    public void AddDbContext(IServiceCollection services)
    {
        services.TryAddSingleton<ProjectWrites>();
        services.AddHttpContextAccessor().AddSingleton<SqliteConnectionSettings>().AddSingleton<WriteTurns>().AddSingleton<SqliteWriteGate>()
            .AddSingleton<ProjectWriteInterceptor>()
            .AddDbContextPool<PipelinerDbContext>((provider, db) =>
            {
                // The coordinator's cached runs read their project again only after a save of a project row (one server per file).
                db.UseSqlite(ConnectionString).UseStartupMigrations()
                    .AddInterceptors(SqliteConnectionsWithoutFunctions.Instance, provider.GetRequiredService<SqliteConnectionSettings>(),
                        provider.GetRequiredService<ProjectWriteInterceptor>());
                if (settings.Database.SqliteWriteTurns) db.AddInterceptors(provider.GetRequiredService<SqliteWriteGate>());
            }, IDatabaseProvider.ContextPoolSize);
    }

    // One server per file: nothing to serialise beyond SQLite's own write lock (and the process's turns for it, SqliteWriteGate).
    public async Task MigrateAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        await SqliteConnectionSettings.UseWriteAheadLogAsync(db, cancellationToken);
        if (await StartupMigrations.AreAppliedAsync(db, cancellationToken)) return;
        await db.Database.MigrateAsync(cancellationToken);
    }

    // One server per file: the process's keyed locks are the whole story.
    public Task<IAsyncDisposable> LockAsync(PipelinerDbContext db, ClusterLock kind, long id, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable>(NoLock.Instance);

    /// <summary>
    /// A deferred transaction (<c>BEGIN</c>): its first read fixes the snapshot the others see, and it takes no lock that
    /// would hold writers back (EF Core's own transactions on SQLite begin IMMEDIATE, taking the write lock).
    /// </summary>
    public async Task<IAsyncDisposable> ReadSnapshotAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = ((Microsoft.Data.Sqlite.SqliteConnection)db.Database.GetDbConnection()).BeginTransaction(deferred: true);
            await db.Database.UseTransactionAsync(transaction, cancellationToken);
            return new ReadSnapshot(db, transaction);
        }
        catch
        {
            await db.Database.CloseConnectionAsync();
            throw;
        }
    }

    public ILogSearchIndex CreateLogSearchIndex(IServiceProvider services) => new SqliteLogSearchIndex(
        Path.Combine(dataDir, LogSetup.SearchIndexFile), services.GetRequiredService<ILogger<SqliteLogSearchIndex>>());

    public void AddRunEvents(IServiceCollection services) => services.AddSingleton<IRunEvents, InMemoryRunEvents>();

    public Webhooks.IDeliveryJournal CreateDeliveryJournal(IServiceProvider services) =>
        new SqliteDeliveryJournal(dataDir, services.GetRequiredService<IOptions<PipelinerOptions>>().Value.Webhooks.JournalFlushEvery);

    public IDisposable DurableWrites() => SqliteConnectionSettings.Durably();

    public JobStorage CreateJobStorage() => new SQLiteStorage(
        Path.Combine(dataDir, "hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = settings.QueuePollIntervalOr(replicas: false) });
}

/// <summary>Ends a read snapshot: the transaction is rolled back (nothing was written) and the connection closed again.</summary>
file sealed class ReadSnapshot(PipelinerDbContext db, System.Data.Common.DbTransaction transaction) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await db.Database.UseTransactionAsync(null);
        await transaction.DisposeAsync();
        await db.Database.CloseConnectionAsync();
    }
}

file sealed class NoLock : IAsyncDisposable
{
    public static readonly NoLock Instance = new();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
