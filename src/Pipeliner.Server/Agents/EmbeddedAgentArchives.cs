using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Artifacts;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The embedded agent's archives when the stores are not its data layout (the database store), as a remote agent does
/// with the server: before a job, the artifacts of the jobs it needs (in one folder of the attempt's own) and its cache
/// are copied out of the stores into this replica's data layout, where the job runner restores them from, each checked
/// against the digest the store recorded; after a successful job, the artifacts and cache it saved there go into the
/// stores, and the local copies go. With the file stores the job runner works in the stores' folders themselves.
/// </summary>
public sealed class EmbeddedAgentArchives(IArtifactStore artifacts, ICacheStore caches, DataLayout layout)
{
    private bool InPlace => artifacts.HoldsEmbeddedAgentFiles && caches.HoldsEmbeddedAgentFiles;

    /// <summary>Copies what the attempt restores out of the stores; returns the assignment that restores from those copies.</summary>
    public async Task<JobAssignment> FetchAsync(AttemptKey key, JobAssignment assignment, CancellationToken cancellationToken)
    {
        if (InPlace) return assignment;
        var needs = NeedsFolder(assignment);
        var upstream = new List<(ArchivedPath Archive, string Job)>();
        foreach (var job in assignment.ArtifactSources)
            upstream.AddRange((await artifacts.ReadAsync(key.RunId, job, cancellationToken) ?? []).Select(a => (a, job)));
        if (upstream.Count > 0)
            await CopyOutAsync(upstream.Select(u => (u.Archive, (Func<CancellationToken, Task<Stream?>>)(token =>
                artifacts.OpenReadAsync(key.RunId, u.Job, u.Archive.File, token)))).ToList(), layout.Artifacts(assignment.RunId, needs), cancellationToken);

        if (assignment.Job.Spec.Cache is { } cache)
        {
            var restored = false;
            foreach (var scope in assignment.CacheScopes.Restore)
            {
                // What the store holds now restores (another replica may have saved a newer one); an older local copy never does.
                var local = layout.Cache(assignment.Project, scope, cache.Key);
                var saved = restored ? null : await caches.ReadAsync(assignment.Project, scope, cache.Key, cancellationToken);
                if (saved is null)
                {
                    await new ArchiveFolder(local).DeleteAsync(cancellationToken);
                    continue;
                }

                await CopyOutAsync(saved.Select(a => (a, (Func<CancellationToken, Task<Stream?>>)(token =>
                    caches.OpenReadAsync(assignment.Project, scope, cache.Key, a.File, token)))).ToList(), local, cancellationToken);
                restored = true;
            }
        }

        return upstream.Count > 0 ? assignment with { ArtifactSources = [needs] } : assignment with { ArtifactSources = [] };
    }

    /// <summary>Stores what a successful attempt saved; returns its artifacts as the store recorded them.</summary>
    public async Task<IReadOnlyList<ArchivedPath>> SaveAsync(AttemptKey key, JobAssignment assignment, JobAttemptReport report, CancellationToken cancellationToken)
    {
        if (InPlace || report.Outcome.Status != JobStatus.Succeeded) return report.Artifacts;
        var stored = report.Artifacts;
        var own = new ArchiveFolder(layout.Artifacts(assignment.RunId, assignment.Job.Id));
        if (report.Artifacts.Count > 0) stored = await artifacts.SaveAsync(key.RunId, key.JobId, FromFolder(own), null, cancellationToken);
        if (assignment.Job.Spec.Cache is { } cache && new ArchiveFolder(layout.Cache(assignment.Project, assignment.CacheScopes.Save, cache.Key)) is { Exists: true } saved)
            await caches.SaveAsync(assignment.Project, assignment.CacheScopes.Save, cache.Key, FromFolder(saved), cancellationToken);
        return stored;
    }

    /// <summary>The attempt's local copies go once its end is recorded (or it was given up).</summary>
    public async Task ForgetAsync(JobAssignment assignment)
    {
        if (InPlace) return;
        await new ArchiveFolder(layout.Artifacts(assignment.RunId, NeedsFolder(assignment))).DeleteAsync(CancellationToken.None);
        await new ArchiveFolder(layout.Artifacts(assignment.RunId, assignment.Job.Id)).DeleteAsync(CancellationToken.None);
        if (assignment.Job.Spec.Cache is not { } cache) return;
        foreach (var scope in assignment.CacheScopes.Restore.Append(assignment.CacheScopes.Save).Distinct(StringComparer.Ordinal))
            await new ArchiveFolder(layout.Cache(assignment.Project, scope, cache.Key)).DeleteAsync(CancellationToken.None);
    }

    private static string NeedsFolder(JobAssignment assignment) => $".needs-{assignment.Job.Id}-{assignment.Attempt}";

    private static List<ArchiveSource> FromFolder(ArchiveFolder folder) =>
        folder.Read().Select(a => new ArchiveSource(a.Path, _ => Task.FromResult<Stream?>(File.OpenRead(Path.Combine(folder.Directory, a.File))))).ToList();

    private static async Task CopyOutAsync(
        IReadOnlyList<(ArchivedPath Archive, Func<CancellationToken, Task<Stream?>> Open)> archives, string directory, CancellationToken cancellationToken)
    {
        var copied = await ArchiveFolder.WriteAsync(directory, archives.Select(a => (a.Archive.Path, a.Open)).ToList(), cancellationToken);
        var wrong = copied.Count != archives.Count
            ? "an archive is missing in the store"
            : copied.Zip(archives).Where(p => !string.Equals(p.First.Sha256, p.Second.Archive.Sha256, StringComparison.OrdinalIgnoreCase))
                .Select(p => $"'{p.First.Path}' has sha256 {p.First.Sha256[..12]}, not the recorded {p.Second.Archive.Sha256[..12]}").FirstOrDefault();
        if (wrong is null) return;
        await new ArchiveFolder(directory).DeleteAsync(CancellationToken.None);
        throw new WorkspaceException($"cannot restore from the store: {wrong}");
    }
}
