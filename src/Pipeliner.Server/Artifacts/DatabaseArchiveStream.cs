using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Artifacts;

/// <summary>
/// An archive of <see cref="DatabaseArchives"/> as a read-only, seekable stream: every chunk but the last holds
/// <see cref="DatabaseArchives.ChunkBytes"/>, so a position names its chunk; a chunk is loaded (with a database context of
/// its own, the stream may outlive any request) when a read reaches it, and only one is kept.
/// </summary>
internal sealed class DatabaseArchiveStream(IServiceScopeFactory scopes, long archiveId, long length) : Stream
{
    private long _position;
    private int _current = -1;
    private byte[] _bytes = [];

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= length || buffer.Length == 0) return 0;
        var index = (int)(_position / DatabaseArchives.ChunkBytes);
        if (index != _current) Fill(index, LoadAsync(index, CancellationToken.None).GetAwaiter().GetResult());
        return CopyOut(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= length || buffer.Length == 0) return 0;
        var index = (int)(_position / DatabaseArchives.ChunkBytes);
        if (index != _current) Fill(index, await LoadAsync(index, cancellationToken));
        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async Task<byte[]> LoadAsync(int index, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var data = await db.ArchiveChunks.AsNoTracking().Where(c => c.ArchiveId == archiveId && c.Index == index)
            .Select(c => c.Data).FirstOrDefaultAsync(cancellationToken);
        var expected = (int)Math.Min(DatabaseArchives.ChunkBytes, length - (long)index * DatabaseArchives.ChunkBytes);
        if (data is null || data.Length != expected)
            throw new IOException($"archive {archiveId} was removed or replaced while it was read (chunk {index})");
        return data;
    }

    private void Fill(int index, byte[] bytes)
    {
        _bytes = bytes;
        _current = index;
    }

    private int CopyOut(Span<byte> buffer)
    {
        var within = (int)(_position - (long)_current * DatabaseArchives.ChunkBytes);
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
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
