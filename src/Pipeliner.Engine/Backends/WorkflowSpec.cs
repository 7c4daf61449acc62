using Pipeliner.Core.Model;

namespace Pipeliner.Engine.Backends;

/// <summary>One job attempt as the backend sees it: an id unique per attempt and a host workspace directory.</summary>
public sealed record WorkflowSpec(string Id, string RunId, string JobId, string WorkspacePath, IReadOnlyList<StepSpec> Steps)
{
    public string Project { get; init; } = "";
    public int Attempt { get; init; } = 1;

    /// <summary>The job's <c>runs-on</c> labels; a backend may place the job by them (Kubernetes: node selectors).</summary>
    public IReadOnlyList<string> RunsOn { get; init; } = [];

    /// <summary>The job's timeout; a backend may enforce it on its side too (Kubernetes: the Pod's deadline).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Where a backend that fills the workspace itself fetches it from; null for a host workspace.</summary>
    public WorkspaceFetch? Fetch { get; init; }
}

public enum StepKind
{
    /// <summary>A sidecar (database, cache) started before the script and sharing its network.</summary>
    Service,
    /// <summary>The job's script.</summary>
    Script,
}

/// <summary>One process or container of a job attempt.</summary>
public sealed record StepSpec
{
    public required string Name { get; init; }
    public required StepKind Kind { get; init; }
    public required string Image { get; init; }

    /// <summary>The command; empty for a service means the image's default command.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Which names of <see cref="Environment"/> hold secrets: a backend that writes a spec others can read keeps them apart.</summary>
    public IReadOnlySet<string> SecretVariables { get; init; } = new HashSet<string>();

    public ResourceLimits Resources { get; init; } = ResourceLimits.None;
}

/// <summary>How a step ended.</summary>
public sealed record StepExit(int ExitCode, bool OutOfMemory, long? PeakMemoryBytes)
{
    /// <summary>CPU time (user + system) the step used, in milliseconds, as last sampled; null when not measured.</summary>
    public long? CpuTimeMs { get; init; }
}
