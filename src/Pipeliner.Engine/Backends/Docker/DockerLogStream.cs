using System.Runtime.InteropServices;
using Docker.DotNet;

namespace Pipeliner.Engine.Backends.Docker;

/// <summary>
/// A read-only stream over Docker's multiplexed output stream. The script sends stderr to stdout itself, so the
/// frames are read in order and the stream they came from is not needed.
/// </summary>
internal sealed class DockerLogStream(MultiplexedStream inner) : ReadOnlyStream
{
    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await inner.ReadOutputAsync(buffer, offset, count, cancellationToken);
            if (result.EOF) return 0;
            if (result.Count > 0) return result.Count;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
            return await ReadAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken);
        var array = new byte[buffer.Length];
        var read = await ReadAsync(array, 0, array.Length, cancellationToken);
        array.AsMemory(0, read).CopyTo(buffer);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
