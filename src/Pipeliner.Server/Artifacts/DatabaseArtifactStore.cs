using System.Globalization;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Server.Artifacts;

/// <summary>
/// Artifacts in the database (<c>Pipeliner:Storage:Provider=database</c>), so that replicas share them without a shared
/// disk: a folder per run and job (<see cref="DatabaseArchives"/>, chunked rows streamed in and out).
/// </summary>
public sealed class DatabaseArtifactStore(DatabaseArchives archives) : IArtifactStore
{
    private const string Kind = "artifacts";

    public bool HoldsEmbeddedAgentFiles => false;

    public Task<IReadOnlyList<ArchivedPath>> SaveAsync(
        long runId, string jobId, IReadOnlyList<ArchiveSource> sources, long? maxBytes, CancellationToken cancellationToken) =>
        archives.WriteAsync(Folder(runId, jobId), ArchiveSource.Tuples(sources), maxBytes, cancellationToken);

    public Task<IReadOnlyList<ArchivedPath>?> ReadAsync(long runId, string jobId, CancellationToken cancellationToken) =>
        archives.ReadAsync(Folder(runId, jobId), cancellationToken);

    public Task<Stream?> OpenReadAsync(long runId, string jobId, string file, CancellationToken cancellationToken) =>
        archives.OpenReadAsync(Folder(runId, jobId), file, cancellationToken);

    public Task<long> SizeOfAsync(long runId, CancellationToken cancellationToken) => archives.SizeOfAsync(Kind, Owner(runId), cancellationToken);

    public Task<long> DeleteAsync(long runId, CancellationToken cancellationToken) => archives.DeleteOwnerAsync(Kind, Owner(runId), cancellationToken);

    private static ArchiveFolderKey Folder(long runId, string jobId) => new(Kind, Owner(runId), PathSlug.For(jobId));

    private static string Owner(long runId) => runId.ToString(CultureInfo.InvariantCulture);
}
