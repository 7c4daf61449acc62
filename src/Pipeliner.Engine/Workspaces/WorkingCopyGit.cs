using System.Text;
using LibGit2Sharp;

namespace Pipeliner.Engine.Workspaces;

/// <summary>
/// A job's working copy's <c>.git</c>, started empty with <c>origin</c> set to the mirror: on Linux written as the few
/// files git needs (<c>HEAD</c>, <c>config</c>, <c>objects/</c>, <c>refs/</c>), elsewhere by libgit2's init.
/// </summary>
/// <remarks>
/// libgit2's init also writes hooks, info, logs, a description and a probe file, and its config one setting at a time
/// (a lock file and a rename each: six for the four core settings and the remote): ~20 inodes per job that are made and
/// deleted again with the workspace (docs/performance.md, "a job's workspace with half the inodes"). What it probes (file modes,
/// symlinks, case) has git's defaults on Linux, so the config written here is the one it writes there.
/// </remarks>
internal sealed class WorkingCopyGit
{
    private WorkingCopyGit(string path) => Path = path;

    public string Path { get; }

    public static WorkingCopyGit Start(string directory, string mirrorPath)
    {
        var git = System.IO.Path.Combine(directory, ".git");
        if (!OperatingSystem.IsLinux())
        {
            Repository.Init(directory);
            using var repository = new Repository(directory);
            repository.Network.Remotes.Add("origin", mirrorPath);
            return new WorkingCopyGit(git);
        }

        Directory.CreateDirectory(System.IO.Path.Combine(git, "objects", "pack"));
        Directory.CreateDirectory(System.IO.Path.Combine(git, "refs"));
        File.WriteAllText(System.IO.Path.Combine(git, "HEAD"), "ref: refs/heads/master\n");
        File.WriteAllText(System.IO.Path.Combine(git, "config"), new StringBuilder()
            .Append("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n")
            .Append("[remote \"origin\"]\n\turl = ").Append(Quoted(mirrorPath)).Append("\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n")
            .ToString());
        return new WorkingCopyGit(git);
    }

    /// <summary><paramref name="reference"/> and a detached HEAD at <paramref name="commitSha"/> (an object the copy holds).</summary>
    public void Detach(string reference, string commitSha)
    {
        var file = System.IO.Path.Combine(Path, reference);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, commitSha + "\n");
        File.WriteAllText(System.IO.Path.Combine(Path, "HEAD"), commitSha + "\n");
    }

    /// <summary>A config value as git reads it back whatever it holds (<c>#</c>, <c>;</c>, quotes, backslashes, edge spaces).</summary>
    private static string Quoted(string value)
    {
        if (value.Contains('\n')) throw new WorkspaceException($"a path with a line break cannot be a git remote: '{value}'");
        return "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
