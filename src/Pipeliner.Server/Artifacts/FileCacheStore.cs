using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Artifacts;

/// <summary>Caches as folders of archives in the data layout (<c>cache/{project}/{scope}/{key}/</c>).</summary>
public sealed class FileCacheStore(DataLayout layout) : ICacheStore
{
    public IReadOnlyList<CacheEntry> List(string project)
    {
        var root = new DirectoryInfo(ProjectCaches(project));
        if (!root.Exists) return [];
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

        return entries;
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
