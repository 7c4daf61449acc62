namespace Pipeliner.Forges.Events;

internal static class RepositoryIdentity
{
    /// <summary>Whether a pull request's head and base live in different repositories.</summary>
    /// <returns>Compared by id when both ids are known, else by full name (case-insensitively); null when unknown.</returns>
    public static bool? Differ(string? headId, string? baseId, string? headName, string? baseName)
    {
        if (headId is not null && baseId is not null) return !string.Equals(headId, baseId, StringComparison.Ordinal);
        if (headName is not null && baseName is not null) return !string.Equals(headName, baseName, StringComparison.OrdinalIgnoreCase);
        return null;
    }
}
