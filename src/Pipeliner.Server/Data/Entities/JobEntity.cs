namespace Pipeliner.Server.Data.Entities;

public sealed class JobEntity
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public RunEntity? Run { get; set; }

    /// <summary>The job's id in the plan, e.g. <c>test (alpine, 1)</c>.</summary>
    public required string JobId { get; set; }

    public int Position { get; set; }
    public required string Stage { get; set; }
    public required string Status { get; set; }
    public string? Reason { get; set; }
    public string? ApprovedBy { get; set; }

    /// <summary>Who asked for the job to start when it needs approvals by others (a promotion or redeploy).</summary>
    public string? RequestedBy { get; set; }

    public int RequiredApprovals { get; set; }

    /// <summary>Why the job's environment holds this automatic job for a person to start it; null when it does not.</summary>
    public string? HoldReason { get; set; }

    /// <summary>The current approval round; only its <see cref="Approvals"/> count.</summary>
    public int ApprovalRound { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The job may be handed to an agent now: its needs are done and its gate said run.</summary>
    public bool Ready { get; set; }

    /// <summary>
    /// When an agent's claim took <see cref="Ready"/>; cleared when the run coordinator next writes the job (the claim
    /// started its attempt, or the job was decided again). A flag taken longer than a lease ago by a claim that never
    /// started the attempt (its server failed or died in between) is what <c>StalledRunRecovery</c> looks for.
    /// </summary>
    public DateTimeOffset? ClaimedAt { get; set; }

    /// <summary>The labels an agent must have (comma-separated), from <c>runs-on</c>.</summary>
    public string RunsOn { get; set; } = "";

    public List<AttemptEntity> Attempts { get; set; } = [];
    public List<ArtifactEntity> Artifacts { get; set; } = [];
    public List<ApprovalEntity> Approvals { get; set; } = [];
}
