using Hangfire;

namespace Pipeliner.Server.Data.Providers;

/// <summary><c>--Pipeliner:Database:MigrateOnly=true</c>: migrates the database and Hangfire's schema (and imports the data directory's Data Protection keys on PostgreSQL), serves nothing, exits.</summary>
public static class DatabaseMigration
{
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output)
    {
        var provider = services.GetRequiredService<IDatabaseProvider>();
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            await provider.MigrateAsync(db, CancellationToken.None);
            if (provider.SupportsReplicas)
            {
                await DataProtectionKeyImport.ImportAsync(db, services.GetRequiredService<Engine.Storage.DataLayout>().Root,
                    services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DataProtectionKeyImport)), CancellationToken.None);
            }
        }

        // Creating the storage prepares Hangfire's tables.
        using (services.GetRequiredService<JobStorage>().GetConnection())
        {
        }

        await output.WriteLineAsync($"Pipeliner: the {provider.Name} database is migrated.");
        return 0;
    }
}
