namespace Pipeliner.Core.Model;

/// <summary>What caused a run. A pushed tag is <see cref="Tag"/>, a pushed branch <see cref="Push"/>.</summary>
public enum EventKind
{
    Push,
    PullRequest,
    Tag,
    Schedule,
    Manual,
}

public static class EventKindNames
{
    private static readonly (EventKind Kind, string Name)[] All =
    [
        (EventKind.Push, "push"), (EventKind.PullRequest, "pull_request"), (EventKind.Tag, "tag"),
        (EventKind.Schedule, "schedule"), (EventKind.Manual, "manual"),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(e => e.Name).ToArray();

    /// <summary>The name used in pipeline files, the CLI and the API: push, pull_request, tag, schedule, manual.</summary>
    public static string ToName(this EventKind kind) => All.First(e => e.Kind == kind).Name;

    public static bool TryParse(string name, out EventKind kind)
    {
        foreach (var (k, n) in All)
        {
            if (n == name)
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
