namespace Pipeliner.Server.Data.Entities;

/// <summary>One state of a status context to send to the forge; its id is the argument of the delivery job.</summary>
public sealed class ForgeStatusUpdateEntity
{
    public long Id { get; set; }
    public long ContextId { get; set; }
    public ForgeStatusContextEntity? Context { get; set; }
    public int Sequence { get; set; }

    /// <summary>A <c>CommitState</c> name.</summary>
    public required string State { get; set; }

    public required string Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ForgeStatusAttemptEntity> Attempts { get; set; } = [];
}
