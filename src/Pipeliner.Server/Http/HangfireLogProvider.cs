using Hangfire.AspNetCore;
using Hangfire.Logging;

namespace Pipeliner.Server.Http;

/// <summary>
/// Hangfire logs through one process-wide provider, set by the host that configured it last. When that host has
/// stopped (several servers in one process, as in tests), its logger factory is disposed: Hangfire components
/// created afterwards get a silent logger instead of failing the request that created them.
/// </summary>
public sealed class HangfireLogProvider(ILoggerFactory loggers) : ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(loggers);

    public ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return new Silent();
        }
    }

    private sealed class Silent : ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
