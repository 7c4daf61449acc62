using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Artifacts;

/// <summary>
/// Caches in the database (<c>Pipeliner:Storage:Provider=database</c>): a folder per project, scope and key, named with
/// the file store's names (<see cref="PathSlug"/>), so that retention's entries mean the same in both stores.
/// </summary>
public sealed class DatabaseCacheStore(DatabaseArchives archives) : ICacheStore
{
    private const string Kind = "cache";

    public bool HoldsEmbeddedAgentFiles => false;

    public Task<IReadOnlyList<ArchivedPath>> SaveAsync(
        string project, string scope, string key, IReadOnlyList<ArchiveSource> sources, CancellationToken cancellationToken) =>
        archives.WriteAsync(Folder(project, PathSlug.For(scope), PathSlug.For(key)), ArchiveSource.Tuples(sources), null, cancellationToken);

    public Task<IReadOnlyList<ArchivedPath>?> ReadAsync(string project, string scope, string key, CancellationToken cancellationToken) =>
        archives.ReadAsync(Folder(project, PathSlug.For(scope), PathSlug.For(key)), cancellationToken);

    public Task<Stream?> OpenReadAsync(string project, string scope, string key, string file, CancellationToken cancellationToken) =>
        archives.OpenReadAsync(Folder(project, PathSlug.For(scope), PathSlug.For(key)), file, cancellationToken);

    public async Task<IReadOnlyList<CacheEntry>> ListAsync(string project, CancellationToken cancellationToken) =>
        (await archives.ListAsync(Kind, PathSlug.For(project), cancellationToken))
        .Select(f => (Names: f.Name.Split('/', 2), Folder: f))
        .Select(f => new CacheEntry(project, f.Names[0], f.Names[1], f.Folder.Bytes, f.Folder.SavedAt)).ToList();

    public Task<long> DeleteAsync(CacheEntry entry, CancellationToken cancellationToken) =>
        archives.DeleteAsync(Folder(entry.Project, entry.Scope, entry.Key), cancellationToken);

    /// <summary>The folder of a scope and key already in their stored (file-system) names.</summary>
    private static ArchiveFolderKey Folder(string project, string scope, string key) => new(Kind, PathSlug.For(project), $"{scope}/{key}");
}
