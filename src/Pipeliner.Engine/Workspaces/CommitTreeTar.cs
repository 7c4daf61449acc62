using System.Formats.Tar;
using System.Text;
using LibGit2Sharp;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// A commit's tree as a tar, read straight from the mirror's objects, like <c>git archive</c>: no clone, no checkout on
/// disk. Files get mode 0755 when executable (else 0644); folders 0755; symbolic links stay links; a submodule is an empty
/// folder, as a checkout leaves it. Every entry has the commit's time. No <c>.git</c> entry is ever written. A tree with
/// a <c>.gitattributes</c> file (whose filters, e.g. <c>eol</c>, a checkout applies and a bare mirror's blobs do not) is
/// checked out and its files archived instead, so that the tar always holds what a checkout holds.
/// </summary>
public static class CommitTreeTar
{
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode FolderMode = ExecutableMode | UnixFileMode.UserWrite;

    /// <summary>Writes the tree of <paramref name="commitSha"/> in <paramref name="mirror"/> to <paramref name="output"/>.</summary>
    /// <param name="scratch">A folder that does not exist yet, for a checkout when one is needed (removed afterwards).</param>
    public static void Write(GitRepositoryMirror mirror, string commitSha, Stream output, string scratch)
    {
        try
        {
            using var repository = new Repository(mirror.MirrorPath);
            var commit = repository.Lookup<Commit>(commitSha) ?? throw new WorkspaceException($"no commit '{commitSha}' in {mirror.Source}");
            using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
            if (!HasAttributes(commit.Tree))
            {
                WriteTree(writer, commit.Tree, "", commit.Committer.When);
                return;
            }

            try
            {
                mirror.CheckOut(commitSha, scratch);
                foreach (var entry in Entries(scratch, scratch))
                    writer.WriteEntry(entry, Path.GetRelativePath(scratch, entry).Replace('\\', '/'));
            }
            finally
            {
                if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            }
        }
        catch (LibGit2SharpException e)
        {
            throw new WorkspaceException($"cannot read the tree of {commitSha[..Math.Min(12, commitSha.Length)]}: {e.Message}", e);
        }
    }

    private static bool HasAttributes(Tree tree) =>
        tree.Any(e => e.Name == ".gitattributes" || (e.TargetType == TreeEntryTargetType.Tree && HasAttributes((Tree)e.Target)));

    /// <summary>A checkout's files, folders and links, without its <c>.git</c> folder.</summary>
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

    private static void WriteTree(TarWriter writer, Tree tree, string prefix, DateTimeOffset time)
    {
        foreach (var entry in tree.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (string.Equals(entry.Name, ".git", StringComparison.OrdinalIgnoreCase)) continue;
            var name = prefix + entry.Name;
            switch (entry.TargetType)
            {
                case TreeEntryTargetType.Tree:
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = FolderMode, ModificationTime = time });
                    WriteTree(writer, (Tree)entry.Target, name + "/", time);
                    break;
                case TreeEntryTargetType.GitLink:
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = FolderMode, ModificationTime = time });
                    break;
                case TreeEntryTargetType.Blob when entry.Mode == Mode.SymbolicLink:
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name)
                    {
                        LinkName = ((Blob)entry.Target).GetContentText(Encoding.UTF8), Mode = ExecutableMode, ModificationTime = time,
                    });
                    break;
                case TreeEntryTargetType.Blob:
                    WriteFile(writer, (Blob)entry.Target, name, entry.Mode == Mode.ExecutableFile ? ExecutableMode : FileMode, time);
                    break;
            }
        }
    }

    private static void WriteFile(TarWriter writer, Blob blob, string name, UnixFileMode mode, DateTimeOffset time)
    {
        // The blob as stored (no attributes in the tree: no filter applies), its length known up front.
        using var content = blob.GetContentStream();
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, ModificationTime = time, DataStream = content });
    }
}
