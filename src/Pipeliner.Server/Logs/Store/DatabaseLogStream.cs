using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using ZstdSharp;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// A log of <see cref="DatabaseLogStore"/> as a read-only, seekable stream: the list of its chunks is read when it is
/// opened (its length is the log's length then), each chunk's bytes when a read reaches it (decompressed when compacted);
/// one chunk is kept at a time.
/// </summary>
internal sealed class DatabaseLogStream : Stream
{
    private readonly Func<long, int, CancellationToken, Task<byte[]>> _load;
    private readonly List<(long Offset, int Length, bool Compressed)> _chunks;
    private readonly long _length;
    private long _position;
    private int _current = -1;
    private byte[] _bytes = [];

    private DatabaseLogStream(List<(long Offset, int Length, bool Compressed)> chunks, Func<long, int, CancellationToken, Task<byte[]>> load)
    {
        _chunks = chunks;
        _load = load;
        _length = chunks.Count == 0 ? 0 : chunks[^1].Offset + chunks[^1].Length;
    }

    /// <summary>Reads with a database context of its own per chunk (the stream may outlive any request scope).</summary>
    public static DatabaseLogStream Open(IServiceScopeFactory scopes, string path)
    {
        using var scope = scopes.CreateScope();
        var chunks = Chunks(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>(), path);
        return new DatabaseLogStream(chunks, async (offset, length, cancellationToken) =>
        {
            await using var reading = scopes.CreateAsyncScope();
            return await LoadAsync(reading.ServiceProvider.GetRequiredService<PipelinerDbContext>(), path, offset, length, cancellationToken);
        });
    }

    /// <summary>Reads through <paramref name="db"/>, for as long as it lives.</summary>
    public static DatabaseLogStream Open(PipelinerDbContext db, string path) =>
        new(Chunks(db, path), (offset, length, cancellationToken) => LoadAsync(db, path, offset, length, cancellationToken));

    private static List<(long, int, bool)> Chunks(PipelinerDbContext db, string path) =>
        [.. db.LogChunks.AsNoTracking().Where(c => c.Path == path).OrderBy(c => c.Offset)
            .Select(c => new { c.Offset, c.Length, c.Compressed }).AsEnumerable().Select(c => (c.Offset, c.Length, c.Compressed))];

    /// <summary>
    /// The bytes of the chunk listed at <paramref name="offset"/>. When it was compacted since the stream opened, the
    /// compressed chunk that replaced it (starting at or before it) holds them.
    /// </summary>
    private static async Task<byte[]> LoadAsync(PipelinerDbContext db, string path, long offset, int length, CancellationToken cancellationToken)
    {
        var chunk = await db.LogChunks.AsNoTracking().Where(c => c.Path == path && c.Offset <= offset)
            .OrderByDescending(c => c.Offset).Select(c => new { c.Offset, c.Data, c.Compressed }).FirstOrDefaultAsync(cancellationToken);
        if (chunk is null) throw new IOException($"the log {path} changed while it was read (no chunk holds byte {offset})");
        var bytes = chunk.Data;
        if (chunk.Compressed)
        {
            using var decompressor = new Decompressor();
            bytes = decompressor.Unwrap(chunk.Data).ToArray();
        }

        var within = (int)(offset - chunk.Offset);
        if (within == 0 && bytes.Length == length) return bytes;
        if (within + length > bytes.Length) throw new IOException($"the log {path} changed while it was read (byte {offset} moved)");
        return bytes.AsSpan(within, length).ToArray();
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, _length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!Locate(out var index)) return 0;
        if (index != _current) Fill(index, _load(_chunks[index].Offset, _chunks[index].Length, CancellationToken.None).GetAwaiter().GetResult());
        return CopyOut(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Locate(out var index)) return 0;
        if (index != _current) Fill(index, await _load(_chunks[index].Offset, _chunks[index].Length, cancellationToken));
        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private bool Locate(out int index)
    {
        index = -1;
        if (_position >= _length) return false;
        if (_current >= 0 && _position >= _chunks[_current].Offset && _position < _chunks[_current].Offset + _chunks[_current].Length)
        {
            index = _current;
            return true;
        }

        int low = 0, high = _chunks.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (_chunks[middle].Offset > _position) high = middle - 1;
            else low = middle + 1;
        }

        index = high;
        return index >= 0;
    }

    private void Fill(int index, byte[] bytes)
    {
        _bytes = bytes;
        _current = index;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var (offset, _, _) = _chunks[_current];
        var within = (int)(_position - offset);
        var count = Math.Min(buffer.Length, _bytes.Length - within);
        if (count <= 0) return 0;
        _bytes.AsSpan(within, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
