namespace Pipeliner.Engine.Execution;

/// <summary>
/// Which caches a job may read and where it saves its own, as names the server chose from the run's trust (its branch,
/// tag or pull request, and whether that comes from a fork), never as paths: an agent maps them onto its cache store.
/// </summary>
/// <param name="Restore">Scopes to restore from, in order: the first that holds the job's cache key wins.</param>
/// <param name="Save">The one scope the job's cache is saved to; no run saves where a more trusted run reads.</param>
public sealed record CacheScopes(IReadOnlyList<string> Restore, string Save)
{
    /// <summary>
    /// One scope for every run: <c>pipeliner run</c> on a developer's machine, whose data directory holds only that
    /// developer's own runs.
    /// </summary>
    public static CacheScopes Local { get; } = new(["local"], "local");
}
