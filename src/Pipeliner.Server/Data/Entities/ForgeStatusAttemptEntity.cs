namespace Pipeliner.Server.Data.Entities;

/// <summary>One try to deliver a status update: sent and accepted, failed (HTTP status or error), or skipped and why.</summary>
public sealed class ForgeStatusAttemptEntity
{
    public long Id { get; set; }
    public long UpdateId { get; set; }
    public ForgeStatusUpdateEntity? Update { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>delivered, failed or skipped.</summary>
    public required string Outcome { get; set; }

    public int? HttpStatus { get; set; }

    /// <summary>What went wrong, or why it was skipped; never the token.</summary>
    public string? Message { get; set; }
}
