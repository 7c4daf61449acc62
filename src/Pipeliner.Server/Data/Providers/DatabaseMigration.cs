using Hangfire;

namespace Pipeliner.Server.Data.Providers;

/// <summary><c>--Pipeliner:Database:MigrateOnly=true</c>: migrates the database and Hangfire's schema, serves nothing, exits.</summary>
public static class DatabaseMigration
{
    public static async Task<int> RunAsync(IServiceProvider services, TextWriter output)
    {
        var provider = services.GetRequiredService<IDatabaseProvider>();
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            await provider.MigrateAsync(db, CancellationToken.None);
        }

        // Creating the storage prepares Hangfire's tables.
        using (services.GetRequiredService<JobStorage>().GetConnection())
        {
        }

        await output.WriteLineAsync($"Pipeliner: the {provider.Name} database is migrated.");
        return 0;
    }
}
