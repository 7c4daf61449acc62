using System.Collections.Concurrent;
using System.Formats.Tar;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The commit trees remote agents get instead of a clone: a tar of the commit's tree, made once per commit from the
/// server's mirror (fetched with the project's credentials, which never leave the server) and kept under
/// <c>sources/{project}/{commit}.tar</c>.
/// </summary>
public sealed class SourceArchives(DataLayout layout, WorkspacePreparer workspaces)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

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
                await TarFile.CreateFromDirectoryAsync(tree, partial, includeBaseDirectory: false, cancellationToken);
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
}
