using System.Collections.Concurrent;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The commit trees remote agents get instead of a clone: a tar of the commit's tree, made once per commit from the
/// server's mirror (fetched with the project's credentials, which never leave the server) and kept under
/// <c>sources/{project}/{commit}.tar</c> (<see cref="CommitTreeTar"/>: read from the mirror's objects, nothing checked
/// out). It is made when a run is created (<see cref="Prepare"/>), while the run's first jobs wait for an agent, so that
/// an agent's download of it answers at once; an agent that asks while it is being made waits for that one.
/// </summary>
public sealed class SourceArchives(DataLayout layout, WorkspacePreparer workspaces, ILogger<SourceArchives> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>
    /// The commit's tar when it is made already and at most <paramref name="maxBytes"/> long; null otherwise (not made yet,
    /// being made, or larger: the agent downloads it). Never waits for it to be made.
    /// </summary>
    public byte[]? ReadIfSmall(string project, string commitSha, int maxBytes)
    {
        try
        {
            // Only a finished tar has this name (it is made under another and moved): what is read is whole.
            using var file = new FileStream(PathOf(project, commitSha), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
            if (file.Length > maxBytes) return null;
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private string PathOf(string project, string commitSha) =>
        Path.Combine(layout.Root, "sources", PathSlug.For(project), PathSlug.For(commitSha) + ".tar");

    /// <summary>Starts making the commit's tar in the background (a failure is logged; the download tries again).</summary>
    public void Prepare(string project, string repository, string commitSha) =>
        _ = Task.Run(async () =>
        {
            try
            {
                await PathOfAsync(project, repository, commitSha, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not make the source archive of {Project} at {Commit} ahead of its jobs; agents' downloads try again", project, commitSha);
            }
        });

    public async Task<string> PathOfAsync(string project, string repository, string commitSha, CancellationToken cancellationToken)
    {
        var path = PathOf(project, commitSha);
        if (File.Exists(path)) return path;
        var gate = _gates.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path)) return path;
            var mirror = await workspaces.EnsureCommitAsync(project, repository, commitSha, cancellationToken);
            var partial = path + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                // Straight from the mirror's objects: no clone of it and no checkout on disk to pack up again.
                await Task.Run(() =>
                {
                    using var output = File.Create(partial);
                    CommitTreeTar.Write(mirror, commitSha, output, Path.Combine(layout.Root, "sources", ".tmp-" + Guid.NewGuid().ToString("N")));
                }, cancellationToken);
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                if (File.Exists(partial)) File.Delete(partial);
            }

            return path;
        }
        finally
        {
            gate.Release();
        }
    }
}
