using System.Text;

namespace Pipeliner.Server.Tests.Support;

/// <summary>One server-sent event: its id (null when it has none), type and data.</summary>
public sealed record ServerSentEvent(long? Id, string Type, string Data);

/// <summary>Reads <c>text/event-stream</c> answers event by event, as a browser's EventSource would.</summary>
public sealed class ServerSentEvents(Stream stream) : IAsyncDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    /// <summary>The next event (comments such as keep-alives skipped), or null when the stream ended.</summary>
    public async Task<ServerSentEvent?> NextAsync(CancellationToken cancellationToken)
    {
        long? id = null;
        string? type = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is null && data.Length == 0) continue;
                return new ServerSentEvent(id, type ?? "message", data.ToString());
            }

            if (line.StartsWith(':')) continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
                case "event": type = value; break;
                case "data": data.Append(data.Length > 0 ? "\n" : "").Append(value); break;
            }
        }

        return null;
    }

    /// <summary>Reads events until one satisfies <paramref name="wanted"/>; every event read is returned, in order.</summary>
    public async Task<List<ServerSentEvent>> ReadUntilAsync(Func<ServerSentEvent, bool> wanted, string what, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var seen = new List<ServerSentEvent>();
        try
        {
            while (await NextAsync(deadline.Token) is { } item)
            {
                seen.Add(item);
                if (wanted(item)) return seen;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Reported below with what was seen.
        }

        throw new Xunit.Sdk.XunitException(
            $"no event {what}; saw {seen.Count}: {string.Join(" | ", seen.TakeLast(10).Select(e => $"{e.Id} {e.Type} {e.Data[..Math.Min(200, e.Data.Length)]}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await stream.DisposeAsync();
    }
}
