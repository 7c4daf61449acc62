using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Artifacts;

/// <summary>Caches as folders of archives in the data layout (<c>cache/{project}/{scope}/{key}/</c>): one server's disk.</summary>
public sealed class FileCacheStore(DataLayout layout) : ICacheStore
{
    public bool HoldsEmbeddedAgentFiles => true;

    public Task<IReadOnlyList<ArchivedPath>> SaveAsync(
        string project, string scope, string key, IReadOnlyList<ArchiveSource> archives, CancellationToken cancellationToken) =>
        ArchiveFolder.WriteAsync(layout.Cache(project, scope, key), ArchiveSource.Tuples(archives), cancellationToken);

    public Task<IReadOnlyList<ArchivedPath>?> ReadAsync(string project, string scope, string key, CancellationToken cancellationToken)
    {
        var folder = new ArchiveFolder(layout.Cache(project, scope, key));
        return Task.FromResult(folder.Exists ? folder.Read() : null);
    }

    public Task<Stream?> OpenReadAsync(string project, string scope, string key, string file, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream?>(File.OpenRead(Path.Combine(layout.Cache(project, scope, key), file)));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<IReadOnlyList<CacheEntry>> ListAsync(string project, CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(ProjectCaches(project));
        if (!root.Exists) return Task.FromResult<IReadOnlyList<CacheEntry>>([]);
        var entries = new List<CacheEntry>();
        foreach (var scope in root.EnumerateDirectories())
        foreach (var key in scope.EnumerateDirectories())
        {
            // A folder being written is a staging folder beside it (".tmp-…"), complete once moved in place.
            if (key.Name.Contains(".tmp-", StringComparison.Ordinal)) continue;
            var manifest = new FileInfo(Path.Combine(key.FullName, "manifest.json"));
            var saved = manifest.Exists ? manifest.LastWriteTimeUtc : key.LastWriteTimeUtc;
            entries.Add(new CacheEntry(project, scope.Name, key.Name, ArchiveFolder.SizeOf(key), new DateTimeOffset(saved, TimeSpan.Zero)));
        }

        return Task.FromResult<IReadOnlyList<CacheEntry>>(entries);
    }

    public async Task<long> DeleteAsync(CacheEntry entry, CancellationToken cancellationToken)
    {
        var scope = Path.Combine(ProjectCaches(entry.Project), entry.Scope);
        var freed = await new ArchiveFolder(Path.Combine(scope, entry.Key)).DeleteAsync(cancellationToken);
        try
        {
            if (Directory.Exists(scope) && !Directory.EnumerateFileSystemEntries(scope).Any()) Directory.Delete(scope);
        }
        catch (IOException)
        {
            // A cache was saved in the scope meanwhile.
        }

        return freed;
    }

    private string ProjectCaches(string project) => Path.Combine(layout.Root, "cache", PathSlug.For(project));
}
