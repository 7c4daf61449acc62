using Pipeliner.Engine.Storage;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Artifacts;

/// <summary>Artifacts as folders of archives in the data layout (<c>runs/{run}/artifacts/{job}/</c>): one server's disk.</summary>
public sealed class FileArtifactStore(DataLayout layout) : IArtifactStore
{
    public bool HoldsEmbeddedAgentFiles => true;

    public Task<IReadOnlyList<ArchivedPath>> SaveAsync(
        long runId, string jobId, IReadOnlyList<ArchiveSource> archives, long? maxBytes, CancellationToken cancellationToken) =>
        ArchiveFolder.WriteAsync(Folder(runId, jobId).Directory, ArchiveSource.Tuples(archives), cancellationToken, maxBytes);

    public Task<IReadOnlyList<ArchivedPath>?> ReadAsync(long runId, string jobId, CancellationToken cancellationToken)
    {
        var folder = Folder(runId, jobId);
        return Task.FromResult(folder.Exists ? folder.Read() : null);
    }

    public Task<Stream?> OpenReadAsync(long runId, string jobId, string file, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(runId, jobId).Directory, file);
        try
        {
            return Task.FromResult<Stream?>(File.OpenRead(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<long> SizeOfAsync(long runId, CancellationToken cancellationToken) =>
        Task.FromResult(ArchiveFolder.SizeOf(new DirectoryInfo(RunArtifacts(runId))));

    public async Task<long> DeleteAsync(long runId, CancellationToken cancellationToken)
    {
        var root = new DirectoryInfo(RunArtifacts(runId));
        if (!root.Exists) return 0;
        long freed = 0;
        // Each job's folder through its gate, so that a restore reading it finishes first.
        foreach (var job in root.EnumerateDirectories()) freed += await new ArchiveFolder(job.FullName).DeleteAsync(cancellationToken);
        freed += ArchiveFolder.SizeOf(root);
        root.Delete(recursive: true);
        return freed;
    }

    private ArchiveFolder Folder(long runId, string jobId) => new(layout.Artifacts(RunStore.RunKey(runId), jobId));

    private string RunArtifacts(long runId) => Path.Combine(layout.RunDirectory(RunStore.RunKey(runId)), "artifacts");
}
