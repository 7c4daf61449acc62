namespace Pipeliner.Server.Data.Entities;

/// <summary>A successful job with an <c>environment:</c>: what was deployed where, from which run, by whom.</summary>
public sealed class DeploymentEntity
{
    public long Id { get; set; }
    public int ProjectId { get; set; }
    public required string Environment { get; set; }
    public long RunId { get; set; }

    /// <summary>The job's id in the plan.</summary>
    public required string JobId { get; set; }

    public int Attempt { get; set; }
    public required string CommitSha { get; set; }

    /// <summary>The run's tag, else <c>#</c> and its number.</summary>
    public required string Version { get; set; }

    /// <summary>The artifacts the job received from its needs and produced, as JSON: job, path and SHA-256 of each.</summary>
    public required string ArtifactsJson { get; set; }

    /// <summary>
    /// The Pipeliner user who deployed: the person who asked for it (promotion, approval, redeploy); null when nobody did
    /// (an automatic job that passed its environment's rules; the run's trigger says what started it).
    /// </summary>
    public string? DeployedBy { get; set; }

    /// <summary>Who approved it, comma-separated, when approvals were needed.</summary>
    public string? ApprovedBy { get; set; }

    public DateTimeOffset DeployedAt { get; set; }
}
