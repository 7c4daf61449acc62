using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Keeps what the server logs as errors, so that a failing test can show the exception behind a 500.</summary>
public sealed class CapturedErrors : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> All => _errors;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _errors);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> errors) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) errors.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
