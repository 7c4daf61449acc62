namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// One archive kept in the database (<c>Pipeliner:Storage:Provider=database</c>): an artifact of a job, part of a cache, or
/// a remote agent's upload waiting for its attempt's end. Archives are grouped in folders (<see cref="Kind"/>,
/// <see cref="Owner"/>, <see cref="Name"/>, as the file store's directories are) and written a whole folder at a time as a
/// <see cref="Generation"/>: incomplete while its bytes arrive, then complete in one transaction that removes the folder's
/// older generations, so a reader sees a folder's old archives or its new ones, never a mix. The bytes are
/// <see cref="ArchiveChunkEntity"/> rows.
/// </summary>
public sealed class StoredArchiveEntity
{
    public long Id { get; set; }

    /// <summary><c>artifacts</c>, <c>cache</c> or <c>uploads</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>The run (artifacts), the project (cache) or the attempt (uploads) the folder belongs to.</summary>
    public required string Owner { get; set; }

    /// <summary>The folder within its owner: the job (artifacts), <c>{scope}/{key}</c> (cache), <c>{kind}/{index}</c> (uploads).</summary>
    public required string Name { get; set; }

    public required string Generation { get; set; }

    public bool Complete { get; set; }

    /// <summary>The archive's place in its folder (the order its paths are restored in).</summary>
    public int Position { get; set; }

    /// <summary>The workspace path it holds.</summary>
    public required string Path { get; set; }

    /// <summary>Its file name in the folder (<c>0.tar</c>, …), as the job's artifact rows name it.</summary>
    public required string File { get; set; }

    public long Size { get; set; }

    public required string Sha256 { get; set; }

    public DateTimeOffset SavedAt { get; set; }
}

/// <summary>A piece of a stored archive's bytes: up to 1 MiB, in order by <see cref="Index"/>.</summary>
public sealed class ArchiveChunkEntity
{
    public long ArchiveId { get; set; }

    public int Index { get; set; }

    public required byte[] Data { get; set; }
}
