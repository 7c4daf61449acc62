using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>
/// The immutable plan of one run, handed to the engine and the agents: each job in execution order with its
/// decision and everything needed to run it.
/// </summary>
public sealed record ExecutionPlan(
    string? PipelineName,
    TriggerContext Context,
    bool Triggered,
    string? Reason,
    IReadOnlyList<string> Stages,
    IReadOnlyList<PlannedJob> Jobs);

public enum JobDecision
{
    Run,
    Skip,
    Manual,
}

/// <summary>One job of a plan.</summary>
/// <param name="Needs">The jobs it waits for (instance ids), after matrix expansion.</param>
/// <param name="NeedsFromStages">True when <paramref name="Needs"/> come from stage order rather than <c>needs:</c>.
/// A skipped job reached only through stage order does not skip the jobs after it.</param>
public sealed record PlannedJob(
    string Id,
    string Stage,
    JobDecision Decision,
    string? Reason,
    IReadOnlyList<string> Needs,
    bool NeedsFromStages,
    JobSpec Spec);

/// <summary>What an executor needs to run one job: image, commands, environment, limits and policies.</summary>
public sealed record JobSpec
{
    public required string Name { get; init; }
    public required string Image { get; init; }
    public required IReadOnlyList<string> Script { get; init; }

    /// <summary>Environment variables: pipeline, job, matrix and predefined, in that order of precedence (last wins).</summary>
    public required IReadOnlyDictionary<string, string> Variables { get; init; }

    public IReadOnlyList<ServiceDefinition> Services { get; init; } = [];
    public ArtifactsDefinition? Artifacts { get; init; }
    public CacheDefinition? Cache { get; init; }

    /// <summary>Test and static analysis reports to collect after the script (also when it failed); null: none.</summary>
    public ReportsDefinition? Reports { get; init; }

    public IReadOnlyList<string> Secrets { get; init; } = [];
    public required TimeSpan Timeout { get; init; }
    public int Retry { get; init; }
    public bool AllowFailure { get; init; }
    public WhenPolicy When { get; init; }

    /// <summary>
    /// A manual job nobody started keeps its run waiting. Without it (the default) the run finishes once every other
    /// job has, with manual jobs available, and reopens when one is started.
    /// </summary>
    public bool Blocking { get; init; }
    public IReadOnlyList<string> RunsOn { get; init; } = [];
    public ResourceLimits Resources { get; init; } = ResourceLimits.None;
    public string? Environment { get; init; }
}
