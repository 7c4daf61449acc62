using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Data;

/// <summary>
/// The first of the server's hosted services: migrates the database and, with replicas, prepares the shared Data
/// Protection key ring. It must start before Data Protection's own hosted service, which reads the key ring at start
/// and makes a key of its own when it finds none: replicas starting together on a new database would each make one
/// (outside <see cref="DataProtectionKeyImport.PrepareAsync"/>'s cluster lock) and fail to decrypt each other's secrets
/// until their key rings refresh.
/// </summary>
public sealed class DatabasePreparation(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PipelinerDbContext>();
        var database = services.GetRequiredService<IDatabaseProvider>();
        await database.MigrateAsync(db, cancellationToken);
        if (!database.SupportsReplicas) return;
        await DataProtectionKeyImport.PrepareAsync(db, database, services.GetRequiredService<IKeyManager>(),
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<DataLayout>().Root,
            services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DataProtectionKeyImport)), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
