using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Logs;

/// <summary>The server's logs: the store, and what happens to a log once it is final.</summary>
public static class LogSetup
{
    public static IServiceCollection AddLogs(this IServiceCollection services) => services
        .AddSingleton<LogCompletions>()
        .AddSingleton<FileLogStore>()
        .AddSingleton<ILogStore>(provider => provider.GetRequiredService<FileLogStore>());
}
