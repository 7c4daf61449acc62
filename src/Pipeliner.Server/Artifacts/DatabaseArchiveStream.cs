using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Artifacts;

/// <summary>
/// An archive of <see cref="DatabaseArchives"/> as a read-only, seekable stream: every chunk but the last holds
/// <see cref="DatabaseArchives.ChunkBytes"/>, so a position names its chunk; a chunk is loaded (with a database context of
/// its own, the stream may outlive any request) when a read reaches it, and only one is kept.
/// </summary>
internal sealed class DatabaseArchiveStream(IServiceScopeFactory scopes, long archiveId, long length) : ChunkedReadStream(length)
{
    protected override (int Index, long Offset) ChunkAt(long position)
    {
        var index = (int)(position / DatabaseArchives.ChunkBytes);
        return (index, (long)index * DatabaseArchives.ChunkBytes);
    }

    protected override async ValueTask<ReadOnlyMemory<byte>> LoadChunkAsync(int index, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var data = await db.ArchiveChunks.AsNoTracking().Where(c => c.ArchiveId == archiveId && c.Index == index)
            .Select(c => c.Data).FirstOrDefaultAsync(cancellationToken);
        var expected = (int)Math.Min(DatabaseArchives.ChunkBytes, Length - (long)index * DatabaseArchives.ChunkBytes);
        if (data is null || data.Length != expected)
            throw new IOException($"archive {archiveId} was removed or replaced while it was read (chunk {index})");
        return data;
    }
}
