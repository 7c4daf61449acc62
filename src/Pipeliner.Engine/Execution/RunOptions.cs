namespace Pipeliner.Engine.Execution;

/// <summary>How a local run is carried out.</summary>
public sealed record RunOptions
{
    /// <summary>How many jobs run at once.</summary>
    public int Parallel { get; init; } = Environment.ProcessorCount;

    /// <summary>Manual jobs allowed to run (ids or job names).</summary>
    public IReadOnlySet<string> Approved { get; init; } = new HashSet<string>();

    /// <summary>Secret values by name; jobs receive only those they list.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();
}
