using Pipeliner.Core.Model;

namespace Pipeliner.Core.Planning;

/// <summary>
/// What a run is planned for. For a pull request <see cref="Branch"/> is the target branch; for a tag there is
/// no branch. <see cref="ChangedPaths"/> null means the changed files are unknown (every path filter matches).
/// </summary>
public sealed record TriggerContext
{
    public required EventKind Event { get; init; }
    public string? Branch { get; init; }
    public string? Tag { get; init; }
    public IReadOnlyList<string>? ChangedPaths { get; init; }
    public string Project { get; init; } = "";
    public string RunId { get; init; } = "";
    public string CommitSha { get; init; } = "";
}
