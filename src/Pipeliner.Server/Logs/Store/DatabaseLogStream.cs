using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using ZstdSharp;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// A log of <see cref="DatabaseLogStore"/> as a read-only, seekable stream: the list of its chunks is read when it is
/// opened (its length is the log's length then), each chunk's bytes when a read reaches it (decompressed when compacted);
/// one chunk is kept at a time.
/// </summary>
internal sealed class DatabaseLogStream : ChunkedReadStream
{
    private readonly Func<long, int, CancellationToken, Task<byte[]>> _load;
    private readonly List<(long Offset, int Length, bool Compressed)> _chunks;

    private DatabaseLogStream(List<(long Offset, int Length, bool Compressed)> chunks, Func<long, int, CancellationToken, Task<byte[]>> load)
        : base(chunks.Count == 0 ? 0 : chunks[^1].Offset + chunks[^1].Length)
    {
        _chunks = chunks;
        _load = load;
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

    protected override (int Index, long Offset) ChunkAt(long position)
    {
        int low = 0, high = _chunks.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (_chunks[middle].Offset > position) high = middle - 1;
            else low = middle + 1;
        }

        return high < 0 ? (-1, 0) : (high, _chunks[high].Offset);
    }

    protected override async ValueTask<ReadOnlyMemory<byte>> LoadChunkAsync(int index, CancellationToken cancellationToken) =>
        await _load(_chunks[index].Offset, _chunks[index].Length, cancellationToken);
}
