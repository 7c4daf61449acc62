using Pipeliner.Core.Model;

namespace Pipeliner.Engine.Backends;

/// <summary>One job attempt as the backend sees it: an id unique per attempt and a host workspace directory.</summary>
public sealed record WorkflowSpec(string Id, string RunId, string JobId, string WorkspacePath, IReadOnlyList<StepSpec> Steps);

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
    public ResourceLimits Resources { get; init; } = ResourceLimits.None;
}

/// <summary>How a step ended.</summary>
public sealed record StepExit(int ExitCode, bool OutOfMemory, long? PeakMemoryBytes);
