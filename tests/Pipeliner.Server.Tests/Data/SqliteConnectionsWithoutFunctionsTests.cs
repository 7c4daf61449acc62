using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// <see cref="SqliteConnectionsWithoutFunctions"/> on a real <c>pipeliner.db</c> through the server's own contexts
/// (<see cref="SqliteDatabase.AddDbContext"/>): no EF Core functions on the connection, and what that saves per open.
/// </summary>
public sealed class SqliteConnectionsWithoutFunctionsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ServerSqliteDatabase _database = null!;

    public async Task InitializeAsync() => _database = await ServerSqliteDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task ConnectionCreating_GivesAConnectionWithoutEfCoresFunctions_WhenAServerContextOpensIt()
    {
        await using var scope = _database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();

        var refused = await Assert.ThrowsAsync<SqliteException>(() => ScalarAsync(db, "SELECT ef_compare(1, 2)"));
        Assert.Contains("no such function: ef_compare", refused.Message);
        Assert.True((long)(await ScalarAsync(db, "SELECT count(*) FROM __EFMigrationsHistory"))! > 0); // the same database, read as before
        await using var plain = PlainEfContext();
        Assert.Equal(-1L, await ScalarAsync(plain, "SELECT ef_compare(1, 2)")); // EF Core's own connection has them
    }

    [Fact]
    public async Task Model_HasNoDecimalProperty_WhoseQueriesWouldNeedEfCoresFunctions()
    {
        await using var scope = _database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();

        // EF Core's SQLite provider translates decimal arithmetic, comparison and aggregates into the functions these
        // connections leave out: a decimal column needs SqliteConnectionsWithoutFunctions taken out first.
        var decimals = db.Model.GetEntityTypes().SelectMany(entity => entity.GetProperties())
            .Where(property => Nullable.GetUnderlyingType(property.ClrType) == typeof(decimal) || property.ClrType == typeof(decimal))
            .Select(property => $"{property.DeclaringType.DisplayName()}.{property.Name}");
        Assert.Empty(decimals);
    }

    [Fact]
    public async Task ConnectionCreating_AllocatesLessPerOpenAndClose_ThanEfCoresOwnConnection()
    {
        await using var scope = _database.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await using var plain = PlainEfContext();

        var server = await AllocatedPerOpenAsync(db);
        var efCores = await AllocatedPerOpenAsync(plain);
        output.WriteLine($"allocated per open and close: {server} bytes, EF Core's own connection {efCores}");

        Assert.True(server < efCores / 2, $"{server} bytes per open and close against EF Core's own {efCores}");
    }

    private PipelinerDbContext PlainEfContext() =>
        new(new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite(_database.Provider.ConnectionString).Options);

    private static async Task<long> AllocatedPerOpenAsync(PipelinerDbContext db)
    {
        const int opens = 200;
        await OpenAndCloseAsync(db, 20); // warmed: the pool's connection, the JIT
        var before = GC.GetAllocatedBytesForCurrentThread();
        await OpenAndCloseAsync(db, opens);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / opens;
    }

    private static async Task OpenAndCloseAsync(PipelinerDbContext db, int times)
    {
        for (var i = 0; i < times; i++)
        {
            // Synchronous on SQLite: the loop stays on this thread, whose allocations are counted.
            await db.Database.OpenConnectionAsync();
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<object?> ScalarAsync(PipelinerDbContext db, string sql)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            return await command.ExecuteScalarAsync();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
