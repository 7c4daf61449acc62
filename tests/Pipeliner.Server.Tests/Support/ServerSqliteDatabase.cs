using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// A real <c>pipeliner.db</c> in a directory of its own, migrated, with the server's own contexts on it
/// (<see cref="SqliteDatabase.AddDbContext"/>: its interceptors and connection settings as the server has them).
/// </summary>
internal sealed class ServerSqliteDatabase : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();

    private ServerSqliteDatabase(PipelinerOptions settings)
    {
        Provider = new SqliteDatabase(_directory.Path, settings);
        var services = new ServiceCollection().AddLogging();
        Provider.AddDbContext(services);
        Services = services.BuildServiceProvider();
    }

    /// <summary>The data directory <c>pipeliner.db</c> is in.</summary>
    public string DataDir => _directory.Path;

    public SqliteDatabase Provider { get; }

    public ServiceProvider Services { get; }

    public static async Task<ServerSqliteDatabase> CreateAsync(PipelinerOptions? settings = null)
    {
        var database = new ServerSqliteDatabase(settings ?? new PipelinerOptions());
        await using var scope = database.Services.CreateAsyncScope();
        await database.Provider.MigrateAsync(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), CancellationToken.None);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
