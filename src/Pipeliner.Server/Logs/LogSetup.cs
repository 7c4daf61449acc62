using Pipeliner.Engine.Storage;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Sqlite;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs;

/// <summary>The server's logs: the store, the search index and what happens to a log once it is final.</summary>
public static class LogSetup
{
    public const string SearchIndexFile = "search.db";

    public static IServiceCollection AddLogs(this IServiceCollection services) => services
        .AddSingleton<LogCompletions>()
        .AddSingleton<FileLogStore>()
        .AddSingleton<ILogStore>(provider => provider.GetRequiredService<FileLogStore>())
        .AddSingleton<ILogSearchIndex>(provider => new SqliteLogSearchIndex(
            Path.Combine(provider.GetRequiredService<DataLayout>().Root, SearchIndexFile),
            provider.GetRequiredService<ILogger<SqliteLogSearchIndex>>()))
        .AddSingleton<LogSealer>()
        .AddHostedService(provider => provider.GetRequiredService<LogSealer>())
        .AddScoped<LogSearch>();
}
