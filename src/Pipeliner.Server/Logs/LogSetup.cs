using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Logs;

/// <summary>The server's logs: the store, the search index and what happens to a log once it is final.</summary>
public static class LogSetup
{
    public const string SearchIndexFile = "search.db";

    /// <summary>The store is chosen by <c>Pipeliner:Storage:Provider</c>: files in the data directory, or the database.</summary>
    public static IServiceCollection AddLogs(this IServiceCollection services, StorageOptions storage) => services
        .AddSingleton<LogCompletions>()
        .AddSingleton<ZstdCompressors>()
        .AddSingleton<FileLogStore>()
        .AddSingleton<DatabaseLogStore>()
        .AddSingleton<ILogStore>(provider => storage.Provider == StorageOptions.Database
            ? provider.GetRequiredService<DatabaseLogStore>()
            : provider.GetRequiredService<FileLogStore>())
        .AddSingleton<ILogSearchIndex>(provider => provider.GetRequiredService<IDatabaseProvider>().CreateLogSearchIndex(provider))
        .AddSingleton<IndexedRuns>()
        .AddSingleton<LogSealer>()
        .AddHostedService(provider => provider.GetRequiredService<LogSealer>())
        .AddScoped<LogSearch>();
}
