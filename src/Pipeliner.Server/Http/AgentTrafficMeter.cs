using Pipeliner.Agent.Contracts;

namespace Pipeliner.Server.Http;

/// <summary>
/// Counts the agent protocol's traffic (every request under <see cref="AgentRoutes.Prefix"/>: claims, heartbeats, logs,
/// sources, artifacts, caches, ends) for <c>/metrics</c> (<c>pipeliner_agent_protocol_bytes_total</c> by direction,
/// <c>pipeliner_agent_protocol_requests_total</c>): body bytes as read and written, plus the request line, status line
/// and headers as HTTP/1.1 puts them on the wire.
/// </summary>
public static class AgentTrafficMeter
{
    public static IApplicationBuilder UseAgentTrafficMeter(this IApplicationBuilder app, ServerMetrics metrics) => app.Use(async (http, next) =>
    {
        if (!http.Request.Path.StartsWithSegments(AgentRoutes.Prefix))
        {
            await next(http);
            return;
        }

        var request = new CountingStream(http.Request.Body);
        var response = new CountingStream(http.Response.Body);
        http.Request.Body = request;
        http.Response.Body = response;
        try
        {
            await next(http);
        }
        finally
        {
            var head = http.Request.Method.Length + http.Request.Path.Value!.Length + http.Request.QueryString.Value!.Length + 12 + HeaderBytes(http.Request.Headers);
            metrics.ObserveAgentTraffic(head + request.Bytes, 17 + HeaderBytes(http.Response.Headers) + response.Bytes);
        }
    });

    /// <summary>"Name: value\r\n" for each header, and the blank line after them.</summary>
    private static long HeaderBytes(IHeaderDictionary headers) =>
        headers.Sum(h => h.Value.Sum(v => (long)h.Key.Length + (v?.Length ?? 0) + 4)) + 2;

    /// <summary>Passes reads and writes through and counts their bytes.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _bytes;

        public long Bytes => Interlocked.Read(ref _bytes);

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Count(count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Count(buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private int Count(int bytes)
        {
            Interlocked.Add(ref _bytes, bytes);
            return bytes;
        }
    }
}
