using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Model;

/// <summary>One job instance of a validated pipeline (a matrix job yields one per combination).</summary>
public sealed record Job
{
    /// <summary>Unique id; for a matrix instance <c>name (v1, v2)</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The key under <c>jobs:</c>; equals <see cref="Id"/> without a matrix.</summary>
    public required string Name { get; init; }

    public required string Stage { get; init; }
    public required int StageIndex { get; init; }
    public required string Image { get; init; }
    public required IReadOnlyList<string> Script { get; init; }

    /// <summary>Explicit needs as job instance ids; null when the job waits for every job of earlier stages.</summary>
    public IReadOnlyList<string>? Needs { get; init; }

    public JobCondition Condition { get; init; } = JobCondition.Always;
    public WhenPolicy When { get; init; } = WhenPolicy.OnSuccess;
    public string? Environment { get; init; }
    public IReadOnlyList<ServiceDefinition> Services { get; init; } = [];
    public ArtifactsDefinition? Artifacts { get; init; }
    public CacheDefinition? Cache { get; init; }
    public ReportsDefinition? Reports { get; init; }
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>This instance's matrix values, in axis order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> MatrixValues { get; init; } = [];

    public IReadOnlyList<string> Secrets { get; init; } = [];
    public required TimeSpan Timeout { get; init; }
    public int Retry { get; init; }
    public bool AllowFailure { get; init; }

    /// <summary>A manual job that holds its run open (waiting) until someone starts it; see <see cref="ExecutionPlan"/>.</summary>
    public bool Blocking { get; init; }
    public IReadOnlyList<string> RunsOn { get; init; } = [];
    public ResourceLimits Resources { get; init; } = ResourceLimits.None;
    public SourceLocation Location { get; init; }
}

/// <summary>A job's <c>if</c>: every given filter must match; a null filter is not given.</summary>
public sealed record JobCondition(
    IReadOnlyList<GlobPattern>? Branches,
    IReadOnlyList<GlobPattern>? Tags,
    IReadOnlyList<EventKind>? Events,
    IReadOnlyList<GlobPattern>? Paths)
{
    public static JobCondition Always { get; } = new(null, null, null, null);
}

/// <summary>A sidecar container started before the job and sharing its network (reachable on 127.0.0.1).</summary>
public sealed record ServiceDefinition(
    string Name,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env);

public sealed record ArtifactsDefinition(IReadOnlyList<string> Paths, TimeSpan Expire);

public sealed record CacheDefinition(string Key, IReadOnlyList<string> Paths);

/// <summary>
/// Report files collected from the workspace after the script, whether it succeeded or failed: JUnit XML test results
/// and SARIF static analysis findings, each a list of globs relative to the workspace (see <see cref="GlobPattern"/>).
/// </summary>
public sealed record ReportsDefinition(IReadOnlyList<string> Junit, IReadOnlyList<string> Sarif);

/// <summary>
/// What a job may consume; null means unlimited. <paramref name="Pids"/>: processes and threads in its container;
/// <paramref name="Log"/>: bytes of output stored (the job goes on past it); <paramref name="Workspace"/>: bytes in its
/// workspace; <paramref name="Artifacts"/>: bytes of artifacts it saves.
/// </summary>
public sealed record ResourceLimits(
    decimal? Cpus, ByteSize? Memory, int? Pids = null, ByteSize? Log = null, ByteSize? Workspace = null, ByteSize? Artifacts = null)
{
    public static ResourceLimits None { get; } = new(null, null);
}
