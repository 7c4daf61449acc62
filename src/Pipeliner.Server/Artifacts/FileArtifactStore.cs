using Pipeliner.Engine.Storage;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Artifacts;

/// <summary>Artifacts as folders of archives in the data layout (<c>runs/{run}/artifacts/{job}/</c>).</summary>
public sealed class FileArtifactStore(DataLayout layout) : IArtifactStore
{
    public Stream? OpenRead(long runId, string jobId, string file)
    {
        var path = Path.Combine(layout.Artifacts(RunStore.RunKey(runId), jobId), file);
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public long SizeOf(long runId) => ArchiveFolder.SizeOf(new DirectoryInfo(RunArtifacts(runId)));

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

    private string RunArtifacts(long runId) => Path.Combine(layout.RunDirectory(RunStore.RunKey(runId)), "artifacts");
}
