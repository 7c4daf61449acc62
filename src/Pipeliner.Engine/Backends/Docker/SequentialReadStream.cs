namespace Pipeliner.Engine.Backends.Docker;

/// <summary>Reads one stream to its end, then the next; disposing it disposes both.</summary>
internal sealed class SequentialReadStream(Stream first, Stream second) : ReadOnlyStream
{
    private bool _firstEnded;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_firstEnded)
        {
            var read = await first.ReadAsync(buffer, cancellationToken);
            if (read > 0 || buffer.Length == 0) return read;
            _firstEnded = true;
        }

        return await second.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The array handed on as it is: Stream's span overload (DockerLogStream has only the array one) rents an array as
    // long as the caller's from the shared pool, and on a log copy's own thread that rent is a new array every step.
    public override int Read(byte[] buffer, int offset, int count)
    {
        if (!_firstEnded)
        {
            var read = first.Read(buffer, offset, count);
            if (read > 0 || count == 0) return read;
            _firstEnded = true;
        }

        return second.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        if (!_firstEnded)
        {
            var read = first.Read(buffer);
            if (read > 0 || buffer.IsEmpty) return read;
            _firstEnded = true;
        }

        return second.Read(buffer);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            first.Dispose();
            second.Dispose();
        }

        base.Dispose(disposing);
    }
}
