namespace Pipeliner.Server.Data.Entities;

/// <summary>One person's approval of a requested start of a job (a promotion or redeploy that needs approvals).</summary>
public sealed class ApprovalEntity
{
    public long Id { get; set; }
    public long JobId { get; set; }

    /// <summary>The job's approval round it belongs to: a retried deployment job starts a new round.</summary>
    public int Round { get; set; }

    public required string Approver { get; set; }
    public DateTimeOffset At { get; set; }
}
