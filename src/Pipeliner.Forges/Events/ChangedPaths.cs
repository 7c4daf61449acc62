using Pipeliner.Forges.Json;

namespace Pipeliner.Forges.Events;

/// <summary>The files a push changed, from the <c>added</c>/<c>modified</c>/<c>removed</c> lists of its commits.</summary>
internal static class ChangedPaths
{
    private static readonly string[] ChangeLists = ["added", "modified", "removed"];

    /// <param name="commits">The payload's commits; null when it has none.</param>
    /// <param name="totalCommits">How many commits the push had, when the payload says (it may list fewer).</param>
    /// <returns>
    /// The union in first-seen order, or null when it cannot be complete: no commits listed, fewer listed than pushed,
    /// or a commit without any of the three lists. A path filter then treats the changes as unknown, which is safer
    /// than skipping a run because of a partial list.
    /// </returns>
    public static IReadOnlyList<string>? Collect(IReadOnlyList<JsonPayload>? commits, long? totalCommits)
    {
        if (commits is null || commits.Count == 0) return null;
        if (totalCommits is { } total && total > commits.Count) return null;

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var paths = new List<string>();
        foreach (var commit in commits)
        {
            var listed = false;
            foreach (var list in ChangeLists)
            {
                if (commit.OptionalStrings(list) is not { } files) continue;
                listed = true;
                foreach (var file in files)
                {
                    if (seen.Add(file)) paths.Add(file);
                }
            }

            if (!listed) return null;
        }

        return paths;
    }
}
