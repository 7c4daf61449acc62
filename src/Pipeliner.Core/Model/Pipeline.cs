namespace Pipeliner.Core.Model;

/// <summary>A validated pipeline: every reference resolved, every value typed, matrices expanded.</summary>
public sealed record Pipeline
{
    public string? Name { get; init; }
    public required Triggers Triggers { get; init; }
    public required IReadOnlyDictionary<string, string> Variables { get; init; }
    public required IReadOnlyList<string> Stages { get; init; }

    /// <summary>Every job instance (matrix expanded), in file order.</summary>
    public required IReadOnlyList<Job> Jobs { get; init; }

    public ConcurrencyPolicy Concurrency { get; init; } = ConcurrencyPolicy.Parallel;
}

/// <summary>What a new run does to older runs of the same branch.</summary>
public enum ConcurrencyPolicy
{
    /// <summary>Runs of one branch run side by side (the default).</summary>
    Parallel,
    /// <summary>A new run cancels the older, unfinished runs of the same branch.</summary>
    CancelPrevious,
}
