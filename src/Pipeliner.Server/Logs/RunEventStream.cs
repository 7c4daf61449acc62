using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Logs;

/// <summary>
/// <c>GET /api/runs/{id}/events</c>: Server-Sent Events. It starts with the run's current state, replays the
/// retained events after <c>Last-Event-ID</c>, then streams status changes and log lines as they happen.
/// </summary>
public static class RunEventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> StreamAsync(
        long id, HttpContext http, RunReader reader, IRunEvents events, CancellationToken cancellationToken)
    {
        var run = await reader.GetAsync(id, cancellationToken);
        if (run is null) return Problems.NotFound($"no run {id}");

        long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var lastSeen);
        using (var subscription = await events.SubscribeAsync(id, lastSeen, cancellationToken))
        {
            var (backlog, live) = (subscription.Backlog, subscription.Live);
            http.Response.Headers.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            await WriteAsync(http.Response, null, "status", JsonSerializer.Serialize(run, JsonSerializerOptions.Web), cancellationToken);
            foreach (var item in backlog) await WriteAsync(http.Response, item.Sequence, item.Type, item.Data, cancellationToken);
            await http.Response.Body.FlushAsync(cancellationToken);

            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    wait.CancelAfter(KeepAlive);
                    try
                    {
                        if (!await live.WaitToReadAsync(wait.Token)) break;
                        while (live.TryRead(out var item)) await WriteAsync(http.Response, item.Sequence, item.Type, item.Data, cancellationToken);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    }

                    await http.Response.Body.FlushAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                // The client went away.
            }
        }

        return TypedResults.Empty;
    }

    private static async Task WriteAsync(HttpResponse response, long? id, string type, string data, CancellationToken cancellationToken)
    {
        var text = id is { } sequence
            ? $"id: {sequence.ToString(CultureInfo.InvariantCulture)}\nevent: {type}\ndata: {data}\n\n"
            : $"event: {type}\ndata: {data}\n\n";
        await response.WriteAsync(text, cancellationToken);
    }
}
