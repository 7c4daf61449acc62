using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Data;

/// <summary>Migrating PostgreSQL: several replicas at once, and <c>--Pipeliner:Database:MigrateOnly=true</c> as a deploy step.</summary>
[Trait("Database", "postgres")]
public sealed class PostgresMigrationTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-migrate-");

    public void Dispose() => _directory.Dispose();

    /// <summary>
    /// A model change needs a migration for each provider (docs/operations.md#database-migrations says how): a change
    /// without one fails here, before it reaches a server.
    /// </summary>
    [Fact]
    public void Migrations_CoverTheModel_OnEachProvider()
    {
        using var sqlite = new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite("Data Source=:memory:").Options);
        using var postgres = Context("Host=127.0.0.1;Database=unused;Username=postgres");

        Assert.False(sqlite.Database.HasPendingModelChanges(), "the SQLite migrations miss a model change: dotnet ef migrations add … --context PipelinerDbContext");
        Assert.False(postgres.Database.HasPendingModelChanges(),
            "the PostgreSQL migrations miss a model change: dotnet ef migrations add … --context PostgresPipelinerDbContext --output-dir Data/Migrations/Postgres");
    }

    [Fact]
    public async Task MigrateAsync_AppliesEachMigrationOnce_WhenSeveralServersMigrateAtOnce()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("migrate");
        var provider = new PostgresDatabase(database.ConnectionString, new PipelinerOptions());

        // Four replicas starting together: without the lock, two would both create the first tables and one would fail.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var db = Context(database.ConnectionString);
            await provider.MigrateAsync(db, CancellationToken.None);
        }));

        await using var check = Context(database.ConnectionString);
        var applied = (await check.Database.GetAppliedMigrationsAsync()).ToList();
        Assert.Equal(check.Database.GetMigrations(), applied);
        Assert.Empty(await check.Database.GetPendingMigrationsAsync());
        Assert.Equal(0, await check.Runs.CountAsync());
    }

    [Fact]
    public async Task Server_MigratesAndExitsZero_WhenMigrateOnlyIsSet()
    {
        await using var database = await TestPostgres.CreateDatabaseAsync("migrateonly");

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(_directory.Combine("data"),
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={database.ConnectionString}",
            "--Pipeliner:Database:MigrateOnly=true");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Pipeliner: the postgres database is migrated.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("bootstrap", output, StringComparison.OrdinalIgnoreCase);
        await using var check = Context(database.ConnectionString);
        Assert.Empty(await check.Database.GetPendingMigrationsAsync());
        // Hangfire's schema is there too, and no user was made: the server never started.
        Assert.Equal(1, await check.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM information_schema.tables WHERE table_schema = 'hangfire' AND table_name = 'job'").SingleAsync());
        Assert.Equal(0, await check.Users.CountAsync());
    }

    [Fact]
    public async Task Server_ExitsTwoNamingTheConnectionString_WhenPostgresHasNone()
    {
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(_directory.Combine("data"), "--Pipeliner:Database:Provider=postgres");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Pipeliner: the settings are invalid: ConnectionStrings:Pipeliner: required when Pipeliner:Database:Provider is postgres",
            output.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_ExitsThreeWithOneLine_WhenPostgresCannotBeReached()
    {
        var nothingListens = $"Host=127.0.0.1;Port={TestSupport.LoopbackPort.Free()};Database=pipeliner;Username=postgres;Timeout=3";

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(_directory.Combine("data"),
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={nothingListens}", "--Pipeliner:Database:MigrateOnly=true");

        Assert.Equal(3, exitCode);
        Assert.Contains("Pipeliner: cannot use the PostgreSQL database (ConnectionStrings:Pipeliner): ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    private static PostgresPipelinerDbContext Context(string connectionString)
    {
        var options = new DbContextOptionsBuilder<PostgresPipelinerDbContext>();
        PostgresDatabase.Configure(options, connectionString);
        return new PostgresPipelinerDbContext(options.Options);
    }
}
