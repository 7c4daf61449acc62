using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// The migrations a server's start finds by metadata (<see cref="MetadataMigrationsAssembly"/>) against EF Core's own
/// search, and the start that skips <c>Migrate</c> when the database has every migration (<see cref="StartupMigrations"/>).
/// </summary>
public sealed class StartupMigrationsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Migrations_AreThoseEfCoreFinds_ForEachContext()
    {
        using var sqliteDefault = SqliteContext("Data Source=:memory:", startup: false);
        using var sqlite = SqliteContext("Data Source=:memory:", startup: true);
        using var postgresDefault = PostgresContext("Host=127.0.0.1;Database=unused;Username=postgres", startup: false);
        using var postgres = PostgresContext("Host=127.0.0.1;Database=unused;Username=postgres", startup: true);

        foreach (var (expected, actual) in new (PipelinerDbContext EfCore, PipelinerDbContext Ours)[] { (sqliteDefault, sqlite), (postgresDefault, postgres) })
        {
            var efCores = expected.GetService<IMigrationsAssembly>();
            var ours = actual.GetService<IMigrationsAssembly>();
            Assert.IsType<MetadataMigrationsAssembly>(ours);
            Assert.NotEmpty(efCores.Migrations);
            Assert.Equal(efCores.Migrations.Select(m => (m.Key, m.Value)), ours.Migrations.Select(m => (m.Key, m.Value)));
            Assert.NotNull(efCores.ModelSnapshot);
            Assert.Equal(efCores.ModelSnapshot.GetType(), ours.ModelSnapshot?.GetType());
            Assert.Equal(efCores.FindMigrationId("Initial"), ours.FindMigrationId("Initial"));
        }
    }

    [Fact]
    public void TypesCarryingMigrationAttributes_AreTheMigrationsAndSnapshotsOfBothContexts_WhenReadFromTheServer()
    {
        var server = typeof(PipelinerDbContext).Assembly;
        var expected = server.DefinedTypes
            .Where(t => !t.IsAbstract && (t.IsSubclassOf(typeof(Migration)) || t.IsSubclassOf(typeof(ModelSnapshot))))
            .Select(t => t.AsType())
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

        var found = MetadataMigrationsAssembly.TypesCarryingMigrationAttributes(server);

        Assert.Equal(expected, found.OrderBy(t => t.FullName, StringComparer.Ordinal));
    }

    [Fact]
    public async Task AreAppliedAsync_SaysSo_OnlyWhenEveryMigrationIsApplied()
    {
        var path = _directory.Combine("pipeliner.db");
        await using (var fresh = SqliteContext($"Data Source={path};Pooling=False", startup: true))
        {
            Assert.False(await StartupMigrations.AreAppliedAsync(fresh, CancellationToken.None));
        }

        await using var older = await MigratingDatabase.AtAsync(path, "20261204160726_JobClaimTime");
        await using (var db = SqliteContext($"Data Source={path};Pooling=False", startup: true))
        {
            Assert.False(await StartupMigrations.AreAppliedAsync(db, CancellationToken.None));
            await older.MigrateAsync();
            Assert.True(await StartupMigrations.AreAppliedAsync(db, CancellationToken.None));
        }
    }

    [Fact]
    public async Task MigrateAsync_OnlyReadsTheHistory_WhenTheSqliteDatabaseIsCurrent()
    {
        var path = _directory.Combine("pipeliner.db");
        var provider = new SqliteDatabase(_directory.Path, new PipelinerOptions());
        await using (var db = SqliteContext($"Data Source={path};Pooling=False", startup: true))
        {
            await provider.MigrateAsync(db, CancellationToken.None);
        }

        var commands = new CommandRecorder();
        await using var again = SqliteContext($"Data Source={path};Pooling=False", startup: true, commands);
        await provider.MigrateAsync(again, CancellationToken.None);

        // No lock taken, no table made: the history's existence and its rows were read, and Migrate did not run.
        Assert.DoesNotContain(commands.Texts, text => text.Contains("__EFMigrationsLock", StringComparison.Ordinal));
        Assert.DoesNotContain(commands.Texts, text => text.Contains("CREATE", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(commands.Texts, text => text.Contains("FROM \"__EFMigrationsHistory\"", StringComparison.Ordinal));
        Assert.Empty(await again.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    [Trait("Database", "postgres")]
    public async Task MigrateAsync_AppliesEveryMigrationAndThenOnlyReadsTheHistory_OnPostgres()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("startupmigrations");
        var provider = new PostgresDatabase(database.ConnectionString, new PipelinerOptions());
        await using (var db = PostgresContext(database.ConnectionString, startup: true))
        {
            Assert.False(await StartupMigrations.AreAppliedAsync(db, CancellationToken.None));
            await provider.MigrateAsync(db, CancellationToken.None);
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        }

        var commands = new CommandRecorder();
        await using var again = PostgresContext(database.ConnectionString, startup: true, commands);
        await provider.MigrateAsync(again, CancellationToken.None);

        Assert.DoesNotContain(commands.Texts, text => text.Contains("LOCK TABLE", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(commands.Texts, text => text.Contains("CREATE", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(commands.Texts, text => text.Contains("FROM \"__EFMigrationsHistory\"", StringComparison.Ordinal));
        Assert.Empty(await again.Database.GetPendingMigrationsAsync());
    }

    private static PipelinerDbContext SqliteContext(string connectionString, bool startup, CommandRecorder? commands = null)
    {
        var options = new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite(connectionString);
        if (startup) options.UseStartupMigrations();
        if (commands != null) options.AddInterceptors(commands);
        return new PipelinerDbContext(options.Options);
    }

    private static PostgresPipelinerDbContext PostgresContext(string connectionString, bool startup, CommandRecorder? commands = null)
    {
        var options = new DbContextOptionsBuilder<PostgresPipelinerDbContext>();
        PostgresDatabase.Configure(options, connectionString);
        if (startup) options.UseStartupMigrations();
        if (commands != null) options.AddInterceptors(commands);
        return new PostgresPipelinerDbContext(options.Options);
    }

    private sealed class CommandRecorder : DbCommandInterceptor
    {
        public List<string> Texts { get; } = [];

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Texts.Add(command.CommandText);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Texts.Add(command.CommandText);
            return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Texts.Add(command.CommandText);
            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
