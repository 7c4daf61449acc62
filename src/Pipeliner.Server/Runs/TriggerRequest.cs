using Pipeliner.Core.Model;

namespace Pipeliner.Server.Runs;

/// <summary>What asks for a run: a webhook event, a schedule or a person, in the server's own terms.</summary>
public sealed record TriggerRequest
{
    public required EventKind Event { get; init; }
    public string? Branch { get; init; }
    public string? Tag { get; init; }

    /// <summary>The commit; null means the head of <see cref="Branch"/> (or of the tag).</summary>
    public string? CommitSha { get; init; }

    /// <summary>A ref to fetch when the commit is on no branch or tag (a pull request head, e.g. refs/pull/7/head).</summary>
    public string? CommitRef { get; init; }

    public IReadOnlyList<string>? ChangedPaths { get; init; }
    public string? CommitMessage { get; init; }
    public string? Author { get; init; }
    public int? PullRequestNumber { get; init; }
    public string? SourceBranch { get; init; }

    /// <summary>A pull request from a fork, or one whose origin the forge did not tell: its jobs get no secrets unless the project allows it.</summary>
    public bool FromFork { get; init; }

    /// <summary>A webhook delivery id, "schedule" or "manual by NAME".</summary>
    public required string Trigger { get; init; }

    /// <summary>Extra variables for every job (manual runs).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();
}

/// <summary>What came of a trigger.</summary>
public abstract record RunCreation
{
    public sealed record Created(long RunId) : RunCreation;

    /// <summary>The pipeline file is invalid: a run in state invalid carries the errors.</summary>
    public sealed record Invalid(long RunId) : RunCreation;

    public sealed record NoPipeline(string Message) : RunCreation;

    public sealed record NotTriggered(string Reason) : RunCreation;
}
