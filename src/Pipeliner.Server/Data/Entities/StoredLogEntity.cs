namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// A job log kept in the database (<c>Pipeliner:Storage:Provider=database</c>): its bytes are <see cref="LogChunkEntity"/>
/// rows; this row says how long it is and how much of a remote agent's log arrived. Keyed by the attempt's log path.
/// </summary>
public sealed class StoredLogEntity
{
    public required string Path { get; set; }

    /// <summary>The bytes of the log as served (the sum of its chunks' lengths).</summary>
    public long Length { get; set; }

    /// <summary>How many bytes of the remote agent's own log were received (appends by offset).</summary>
    public long Received { get; set; }

    /// <summary>The attempt ended and the log is final (it may be compacted).</summary>
    public bool Final { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A piece of a stored log: <see cref="Length"/> bytes of the log from <see cref="Offset"/>, zstd-compressed when
/// <see cref="Compressed"/> (a final log is compacted into pieces of about 1 MiB).
/// </summary>
public sealed class LogChunkEntity
{
    public required string Path { get; set; }

    public long Offset { get; set; }

    public int Length { get; set; }

    public bool Compressed { get; set; }

    public required byte[] Data { get; set; }
}
