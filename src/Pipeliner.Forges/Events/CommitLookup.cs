using Pipeliner.Forges.Json;

namespace Pipeliner.Forges.Events;

internal static class CommitLookup
{
    /// <summary>The listed commit with the given hash (forges order the list differently, so the head is not always last).</summary>
    public static JsonPayload? Find(IReadOnlyList<JsonPayload>? commits, string? sha)
    {
        if (commits is null || sha is null) return null;
        foreach (var commit in commits)
        {
            if (string.Equals(commit.OptionalString("id"), sha, StringComparison.OrdinalIgnoreCase)) return commit;
        }

        return null;
    }
}
