namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// A live event of a run (<c>status</c>, <c>log</c>, <c>note</c>) kept in the database for a short while, so that the event
/// stream of every replica serves it and its id (this row's) means the same on all of them (<c>Last-Event-ID</c>). Used
/// when replicas share the database; a single server keeps its events in memory.
/// </summary>
public sealed class RunEventEntity
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public required string Type { get; set; }

    public required string Data { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
