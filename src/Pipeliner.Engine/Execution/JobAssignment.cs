using Pipeliner.Core.Planning;

namespace Pipeliner.Engine.Execution;

/// <summary>Everything an executor needs to run one attempt of one job; it carries ids and values, no live objects.</summary>
public sealed record JobAssignment
{
    public required string RunId { get; init; }
    public required string Project { get; init; }

    /// <summary>Where the code comes from: a local path or a URL.</summary>
    public required string Repository { get; init; }

    public required string CommitSha { get; init; }
    public required PlannedJob Job { get; init; }
    public required int Attempt { get; init; }

    /// <summary>Jobs whose artifacts are restored into the workspace: every job this one needs, directly or not.</summary>
    public IReadOnlyList<string> ArtifactSources { get; init; } = [];

    /// <summary>Where the job's cache is restored from and saved to; decided by whoever knows the run's trust.</summary>
    public required CacheScopes CacheScopes { get; init; }

    /// <summary>Values of the secrets the job lists; a listed secret missing here fails the job before it starts.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>Every secret value known to the run, masked in this job's log even when the job does not list it.</summary>
    public IReadOnlyCollection<string> MaskedValues { get; init; } = [];

    /// <summary>Why no secret is given to this run (e.g. a pull request from a fork); a job listing secrets then fails before it starts, saying so.</summary>
    public string? SecretsWithheldReason { get; init; }
}
