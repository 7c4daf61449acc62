namespace Pipeliner.Server.Artifacts;

/// <summary>
/// Where the server keeps the archives jobs saved (artifacts, per run and job) for the API's reads and for retention.
/// The agent protocol writes them (<c>AgentDoneEndpoint</c>, the embedded agent's <c>JobRunner</c>) in the same layout.
/// </summary>
public interface IArtifactStore
{
    /// <summary>One archive a job of the run saved; null when it is not (or no longer) there.</summary>
    Stream? OpenRead(long runId, string jobId, string file);

    /// <summary>The bytes the run's artifacts take on disk (0 when it has none).</summary>
    long SizeOf(long runId);

    /// <summary>Removes every artifact of the run (retention), waiting for restores of them to end; returns the bytes freed.</summary>
    Task<long> DeleteAsync(long runId, CancellationToken cancellationToken);
}

/// <summary>One saved cache: its project, scope and key as stored (file-system names), its size and when it was saved.</summary>
public sealed record CacheEntry(string Project, string Scope, string Key, long Bytes, DateTimeOffset SavedAt);

/// <summary>The projects' caches (<c>cache/{project}/{scope}/{key}</c>), for retention and usage.</summary>
public interface ICacheStore
{
    /// <summary>Every cache the project has saved.</summary>
    IReadOnlyList<CacheEntry> List(string project);

    /// <summary>Removes one cache, waiting for a restore of it to end; returns the bytes freed.</summary>
    Task<long> DeleteAsync(CacheEntry entry, CancellationToken cancellationToken);
}
