namespace Pipeliner.Server.Data;

/// <summary>
/// A read-only, seekable stream over content kept as consecutive chunks (an archive's or a log's chunk rows, a compressed
/// log's blocks): a subclass says which chunk holds a position and loads a chunk's bytes; this keeps the position, loads a
/// chunk when a read reaches it and keeps only that one. Positions are clamped to the content (0 to <see cref="Length"/>).
/// </summary>
internal abstract class ChunkedReadStream(long length) : Stream
{
    private long _position;
    private int _current = -1;
    private long _currentOffset;
    private ReadOnlyMemory<byte> _bytes;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    /// <summary>The index of the chunk that holds <paramref name="position"/> (below <see cref="Length"/>) and the position it starts at; a negative index when none does.</summary>
    protected abstract (int Index, long Offset) ChunkAt(long position);

    /// <summary>The bytes of chunk <paramref name="index"/>; they need stay valid only until the next load.</summary>
    protected abstract ValueTask<ReadOnlyMemory<byte>> LoadChunkAsync(int index, CancellationToken cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!Locate(buffer.Length, out var index, out var offset)) return 0;
        if (index != _current)
        {
            Forget();
            var loading = LoadChunkAsync(index, CancellationToken.None);
            Keep(index, offset, loading.IsCompletedSuccessfully ? loading.Result : loading.AsTask().GetAwaiter().GetResult());
        }

        return CopyOut(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Locate(buffer.Length, out var index, out var offset)) return 0;
        if (index != _current)
        {
            Forget();
            Keep(index, offset, await LoadChunkAsync(index, cancellationToken));
        }

        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Moves to the position (clamped to the content) and returns where it is now.</summary>
    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>The chunk to read from: the one kept when it holds the position, else the one <see cref="ChunkAt"/> names.</summary>
    private bool Locate(int wanted, out int index, out long offset)
    {
        (index, offset) = (-1, 0);
        if (_position >= length || wanted == 0) return false;
        if (_current >= 0 && _position >= _currentOffset && _position < _currentOffset + _bytes.Length)
        {
            (index, offset) = (_current, _currentOffset);
            return true;
        }

        (index, offset) = ChunkAt(_position);
        return index >= 0;
    }

    /// <summary>Before a load: a load that fails leaves no chunk kept (a subclass may reuse the kept chunk's buffer).</summary>
    private void Forget()
    {
        _current = -1;
        _bytes = default;
    }

    private void Keep(int index, long offset, ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        _current = index;
        _currentOffset = offset;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var within = (int)(_position - _currentOffset);
        var count = Math.Min(buffer.Length, _bytes.Length - within);
        if (count <= 0) return 0;
        _bytes.Span.Slice(within, count).CopyTo(buffer);
        _position += count;
        return count;
    }
}
