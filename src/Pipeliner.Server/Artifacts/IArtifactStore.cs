using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Artifacts;

/// <summary>Archives to save, each opened only when the one before it is stored (a null stream: the path is left out).</summary>
public sealed record ArchiveSource(string Path, Func<CancellationToken, Task<Stream?>> Open)
{
    public static IReadOnlyList<(string Path, Func<CancellationToken, Task<Stream?>> Open)> Tuples(IReadOnlyList<ArchiveSource> sources) =>
        sources.Select(s => (s.Path, s.Open)).ToList();
}

/// <summary>
/// Where the server keeps the archives jobs saved (artifacts, per run and job): written when an attempt's end is recorded
/// (a remote agent's uploads, the embedded agent's archives), read by the agents' downloads, the API and the embedded
/// agent, sized and removed by retention. <c>Pipeliner:Storage:Provider</c> chooses the file store (the data layout) or
/// the database store (shared by replicas without a shared disk).
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// The embedded agent's job runner reads and writes this store's archives in place (the file store, in the server's own
    /// data layout); otherwise the embedded agent copies what a job restores out of the store and what it saved into it.
    /// </summary>
    bool HoldsEmbeddedAgentFiles { get; }

    /// <summary>Replaces the job's artifacts with these archives (past <paramref name="maxBytes"/> in all: <see cref="ArchiveTooLargeException"/>, nothing kept).</summary>
    Task<IReadOnlyList<ArchivedPath>> SaveAsync(long runId, string jobId, IReadOnlyList<ArchiveSource> archives, long? maxBytes, CancellationToken cancellationToken);

    /// <summary>The job's archives as saved (file names, sizes, digests); null when it saved none or they were removed.</summary>
    Task<IReadOnlyList<ArchivedPath>?> ReadAsync(long runId, string jobId, CancellationToken cancellationToken);

    /// <summary>One archive a job of the run saved, streamed; null when it is not (or no longer) there.</summary>
    Task<Stream?> OpenReadAsync(long runId, string jobId, string file, CancellationToken cancellationToken);

    /// <summary>The bytes the run's artifacts take in the store (0 when it has none).</summary>
    Task<long> SizeOfAsync(long runId, CancellationToken cancellationToken);

    /// <summary>Removes every artifact of the run (retention, a project's deletion), waiting for restores of them to end; returns the bytes freed.</summary>
    Task<long> DeleteAsync(long runId, CancellationToken cancellationToken);
}

/// <summary>One saved cache: its project, scope and key as stored (file-system names), its size and when it was saved.</summary>
public sealed record CacheEntry(string Project, string Scope, string Key, long Bytes, DateTimeOffset SavedAt);

/// <summary>The projects' caches (<c>cache/{project}/{scope}/{key}</c>): saved and restored by jobs, listed and removed by retention.</summary>
public interface ICacheStore
{
    /// <summary>As <see cref="IArtifactStore.HoldsEmbeddedAgentFiles"/>.</summary>
    bool HoldsEmbeddedAgentFiles { get; }

    /// <summary>Replaces the cache of the key in the scope with these archives.</summary>
    Task<IReadOnlyList<ArchivedPath>> SaveAsync(string project, string scope, string key, IReadOnlyList<ArchiveSource> archives, CancellationToken cancellationToken);

    /// <summary>The cache's archives; null when none was saved under the key in the scope.</summary>
    Task<IReadOnlyList<ArchivedPath>?> ReadAsync(string project, string scope, string key, CancellationToken cancellationToken);

    /// <summary>One archive of the cache, streamed; null when it is not there.</summary>
    Task<Stream?> OpenReadAsync(string project, string scope, string key, string file, CancellationToken cancellationToken);

    /// <summary>Every cache the project has saved.</summary>
    Task<IReadOnlyList<CacheEntry>> ListAsync(string project, CancellationToken cancellationToken);

    /// <summary>Removes one cache, waiting for a restore of it to end; returns the bytes freed.</summary>
    Task<long> DeleteAsync(CacheEntry entry, CancellationToken cancellationToken);
}
