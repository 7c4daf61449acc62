namespace Pipeliner.Server.Data.Entities;

public sealed class RunEntity
{
    public long Id { get; set; }
    public int ProjectId { get; set; }
    public ProjectEntity? Project { get; set; }
    public int Number { get; set; }
    public required string Status { get; set; }
    public required string Event { get; set; }
    public string? Branch { get; set; }
    public string? Tag { get; set; }
    public required string CommitSha { get; set; }
    public string? CommitMessage { get; set; }
    public string? Author { get; set; }
    public int? PullRequestNumber { get; set; }
    public string? SourceBranch { get; set; }

    /// <summary>A pull request from another repository (or one whose origin the forge did not tell): its jobs get no secrets unless the project allows it.</summary>
    public bool FromFork { get; set; }

    /// <summary>Who or what started it: a webhook delivery id, "schedule", or a user.</summary>
    public required string Trigger { get; set; }

    /// <summary>The execution plan as JSON: the run can always be carried out as it was planned.</summary>
    public string? PlanJson { get; set; }

    /// <summary>For invalid runs: the validation errors as JSON.</summary>
    public string? ErrorsJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The run finished with manual jobs nobody started; starting one reopens it.</summary>
    public bool ManualJobsAvailable { get; set; }

    /// <summary>When someone pinned the run: retention never removes its logs or artifacts; null when not pinned.</summary>
    public DateTimeOffset? PinnedAt { get; set; }

    public string? PinnedBy { get; set; }

    /// <summary>When retention removed the run's logs (its record and statuses stay); null while they are kept.</summary>
    public DateTimeOffset? LogsExpiredAt { get; set; }

    /// <summary>Why, in words: the rule that removed them ("the project keeps 30 days").</summary>
    public string? LogsExpiry { get; set; }

    /// <summary>When retention removed the run's artifacts; null while they are kept.</summary>
    public DateTimeOffset? ArtifactsExpiredAt { get; set; }

    public string? ArtifactsExpiry { get; set; }

    public List<JobEntity> Jobs { get; set; } = [];

    /// <summary>Deployments this run's jobs made; added when a job with an environment succeeds.</summary>
    public List<DeploymentEntity> Deployments { get; set; } = [];
}
