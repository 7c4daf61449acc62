using System.Collections.Concurrent;
using System.Formats.Tar;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The commit trees remote agents get instead of a clone: a tar of the commit's tree, made once per commit from the
/// server's mirror (fetched with the project's credentials, which never leave the server) and kept under
/// <c>sources/{project}/{commit}.tar</c>. It is made when a run is created (<see cref="Prepare"/>), while the run's
/// first jobs wait for an agent, so that an agent's download of it answers at once; an agent that asks while it is being
/// made waits for that one.
/// </summary>
public sealed class SourceArchives(DataLayout layout, WorkspacePreparer workspaces, ILogger<SourceArchives> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

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
        var path = Path.Combine(layout.Root, "sources", PathSlug.For(project), PathSlug.For(commitSha) + ".tar");
        if (File.Exists(path)) return path;
        var gate = _gates.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path)) return path;
            var mirror = await workspaces.EnsureCommitAsync(project, repository, commitSha, cancellationToken);
            var tree = Path.Combine(layout.Root, "sources", ".tmp-" + Guid.NewGuid().ToString("N"));
            try
            {
                await Task.Run(() => mirror.CheckOut(commitSha, tree), cancellationToken);
                var partial = path + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await WriteTarAsync(tree, partial, cancellationToken);
                File.Move(partial, path, overwrite: true);
            }
            finally
            {
                if (Directory.Exists(tree)) Directory.Delete(tree, recursive: true);
            }

            return path;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The tree without its <c>.git</c> folder (which names the server's mirror): files, folders and links as they are.</summary>
    private static async Task WriteTarAsync(string tree, string tarPath, CancellationToken cancellationToken)
    {
        await using var output = File.Create(tarPath);
        await using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in Entries(tree, tree))
                await writer.WriteEntryAsync(entry, Path.GetRelativePath(tree, entry).Replace('\\', '/'), cancellationToken);
        }

        await output.FlushAsync(cancellationToken);
    }

    private static IEnumerable<string> Entries(string root, string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            if (directory == root && Path.GetFileName(entry) == ".git") continue;
            yield return entry;
            if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null)
            {
                foreach (var inner in Entries(root, entry)) yield return inner;
            }
        }
    }
}
