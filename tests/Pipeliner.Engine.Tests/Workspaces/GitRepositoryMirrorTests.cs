using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Workspaces;

public sealed class GitRepositoryMirrorTests : IDisposable
{
    private readonly TestRepository _repository = new();
    private readonly TempDirectory _temp = new("mirror");

    public void Dispose()
    {
        _repository.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void CheckOut_GivesExactlyTheCommitsFiles_WhenLaterCommitsAndUncommittedFilesExist()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "second", ["b.txt"] = "later" });
        _repository.WriteFile("dirty.txt", "not committed");
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();

        mirror.CheckOut(first, _temp.Combine("workspace"));

        Assert.Equal("first", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        Assert.False(File.Exists(_temp.Combine("workspace", "b.txt")));
        Assert.False(File.Exists(_temp.Combine("workspace", "dirty.txt")));
        Assert.True(Directory.Exists(_temp.Combine("workspace", ".git")));
    }

    [Fact]
    public void CheckOut_WritesNoRefOfOtherBranches_WhenTheMirrorHasMany()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var second = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "second" });
        using (var source = new LibGit2Sharp.Repository(_repository.Path))
        {
            for (var i = 0; i < 50; i++) source.Branches.Add($"feature/{i}", first);
        }
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();

        mirror.CheckOut(second, _temp.Combine("workspace"));

        // One checkout per job: a clone of every branch would write a ref (and its log) per branch, per job.
        var refs = Directory.GetFiles(_temp.Combine("workspace", ".git", "refs"), "*", SearchOption.AllDirectories);
        Assert.True(refs.Length <= 2, $"{refs.Length} refs written: {string.Join(", ", refs.Take(5))}");
        using var workspace = new LibGit2Sharp.Repository(_temp.Combine("workspace"));
        Assert.Equal(second, workspace.Head.Tip.Sha);
        Assert.Equal(first, workspace.Head.Tip.Parents.Single().Sha);
        Assert.Equal("second", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
    }

    [Fact]
    public void CheckOut_HoldsTheHistoryAndCopiesOfTheObjects_WhenTheMirrorHasPacksAndLooseObjects()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        // A commit written straight into the mirror is a loose object there (a fetch would have packed it).
        string second;
        using (var bare = new LibGit2Sharp.Repository(mirror.MirrorPath))
        {
            var parent = LibGit2Sharp.RepositoryExtensions.Lookup<LibGit2Sharp.Commit>(bare, first);
            var blob = bare.ObjectDatabase.CreateBlob(new MemoryStream("loose"u8.ToArray()));
            var tree = new LibGit2Sharp.TreeDefinition();
            tree.Add("a.txt", blob, LibGit2Sharp.Mode.NonExecutableFile);
            var signature = new LibGit2Sharp.Signature("t", "t@example.com", DateTimeOffset.UnixEpoch);
            second = bare.ObjectDatabase.CreateCommit(signature, signature, "loose", bare.ObjectDatabase.CreateTree(tree), [parent], false).Sha;
        }

        mirror.CheckOut(second, _temp.Combine("workspace"));

        Assert.Equal("loose", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        using var workspace = new LibGit2Sharp.Repository(_temp.Combine("workspace"));
        Assert.Equal(second, workspace.Head.Tip.Sha);
        Assert.Equal(first, workspace.Head.Tip.Parents.Single().Sha);
        Assert.Equal(second, workspace.Refs["refs/pipeliner/checkout"].TargetIdentifier);
        Assert.Equal(mirror.MirrorPath, workspace.Network.Remotes["origin"].Url);
        // The job's objects are its own files: writing to them leaves the mirror's as they were.
        var objects = _temp.Combine("workspace", ".git", "objects");
        var copied = Directory.GetFiles(objects, "*", SearchOption.AllDirectories).First(f => !f.Contains("/info/", StringComparison.Ordinal));
        var inMirror = Path.Combine(mirror.MirrorPath, "objects", Path.GetRelativePath(objects, copied));
        var original = File.ReadAllBytes(inMirror);
        File.SetAttributes(copied, FileAttributes.Normal);
        File.WriteAllText(copied, "overwritten by the job");
        Assert.Equal(original, File.ReadAllBytes(inMirror));
    }

    [Fact]
    public void CheckOut_LeavesAWorkingCopyTheGitCommandReads_WhenTheMirrorPathHasQuotesAndComments()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var second = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "second", ["dir/b.txt"] = "b" });
        // Characters a config value must be quoted or escaped for: a comment's start, quotes, a backslash.
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mir #; \"quoted\" \\ror.git"));
        mirror.Update();
        var workspace = _temp.Combine("workspace");

        mirror.CheckOut(second, workspace);

        Assert.Equal(second, Git(workspace, "rev-parse", "HEAD"));
        Assert.Equal(second, Git(workspace, "rev-parse", "refs/pipeliner/checkout"));
        Assert.Equal(first, Git(workspace, "rev-parse", "HEAD~1"));
        Assert.Equal("HEAD", Git(workspace, "rev-parse", "--abbrev-ref", "HEAD"));
        Assert.Equal(mirror.MirrorPath, Git(workspace, "remote", "get-url", "origin"));
        Assert.Equal("", Git(workspace, "status", "--porcelain"));
        Assert.Equal("", Git(workspace, "fsck", "--no-progress", "--no-dangling"));
        // Only what git needs: no hooks, reflogs, description or lock files left per job.
        var git = Path.Combine(workspace, ".git");
        Assert.False(Directory.Exists(Path.Combine(git, "hooks")));
        Assert.False(Directory.Exists(Path.Combine(git, "logs")));
        Assert.Empty(Directory.GetFiles(git, "*.lock", SearchOption.AllDirectories));
    }

    private static string Git(string directory, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-C", directory, .. arguments]) start.ArgumentList.Add(argument);
        using var git = System.Diagnostics.Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        return output.Trim();
    }

    [Fact]
    public void CheckOut_FetchesTheCommit_WhenTheMirrorKeepsItsObjectsElsewhere()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        // The mirror's packs moved to a store it borrows from (objects/info/alternates): nothing to copy, the fetch reads through.
        var elsewhere = _temp.Combine("borrowed");
        Directory.CreateDirectory(elsewhere);
        foreach (var folder in Directory.GetDirectories(Path.Combine(mirror.MirrorPath, "objects")).Where(f => Path.GetFileName(f) != "info"))
            Directory.Move(folder, Path.Combine(elsewhere, Path.GetFileName(folder)));
        Directory.CreateDirectory(Path.Combine(mirror.MirrorPath, "objects", "pack"));
        Directory.CreateDirectory(Path.Combine(mirror.MirrorPath, "objects", "info"));
        File.WriteAllText(Path.Combine(mirror.MirrorPath, "objects", "info", "alternates"), elsewhere + "\n");

        mirror.CheckOut(first, _temp.Combine("workspace"));

        Assert.Equal("first", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        using var workspace = new LibGit2Sharp.Repository(_temp.Combine("workspace"));
        Assert.Equal(first, workspace.Head.Tip.Sha);
    }

    [Fact]
    public void Compact_PacksLooseObjectsAndSmallPacks_WhenTheMirrorHasCollectedMany()
    {
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "0" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        var commits = new List<string>();
        for (var i = 1; i <= 30; i++)
        {
            commits.Add(_repository.Commit(new Dictionary<string, string> { ["a.txt"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
            mirror.Update();
        }

        var objects = Path.Combine(mirror.MirrorPath, "objects");
        int Loose() => Directory.GetDirectories(objects, "??").Sum(d => Directory.GetFiles(d).Length);
        int Packs() => Directory.GetFiles(Path.Combine(objects, "pack"), "*.idx").Length;
        Assert.True(Loose() + Packs() > 30, $"{Loose()} loose objects, {Packs()} packs before");

        mirror.Compact(maxLooseObjects: 4, maxSmallPacks: 1);

        Assert.Equal(0, Loose());
        Assert.Equal(1, Packs());
        Assert.Empty(Directory.GetDirectories(mirror.MirrorPath, "pipeliner-pack-*"));
        // Everything is still there: every commit checks out, with its history.
        mirror.CheckOut(commits[4], _temp.Combine("workspace"));
        Assert.Equal("5", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
        using var workspace = new LibGit2Sharp.Repository(_temp.Combine("workspace"));
        Assert.Equal(6, workspace.Commits.Count());
        Assert.Equal("30", mirror.ReadFile(commits[^1], "a.txt"));
    }

    [Fact]
    public void Compact_LeavesTheMirrorAlone_WhenItHasFewFiles()
    {
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "0" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        var before = Directory.GetFiles(Path.Combine(mirror.MirrorPath, "objects"), "*", SearchOption.AllDirectories).Order().ToList();

        mirror.Compact();

        Assert.Equal(before, Directory.GetFiles(Path.Combine(mirror.MirrorPath, "objects"), "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public void Update_FetchesNewCommits_WhenMirrorAlreadyExists()
    {
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "1" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();
        var second = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "2" });

        mirror.Update();

        Assert.Equal(second, mirror.ResolveCommit("main"));
        Assert.Equal("2", mirror.ReadFile(second, "a.txt"));
        Assert.Null(mirror.ReadFile(second, "missing.txt"));
    }

    [Fact]
    public void Update_ClonesFromFileUrl_WhenSourceIsAUrl()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "by url" });
        var mirror = new GitRepositoryMirror(new Uri(_repository.Path).AbsoluteUri, _temp.Combine("mirror.git"));

        mirror.Update();
        mirror.CheckOut(commit, _temp.Combine("workspace"));

        Assert.Equal("by url", File.ReadAllText(_temp.Combine("workspace", "a.txt")));
    }

    [Fact]
    public void Update_ThrowsWorkspaceException_WhenSourceIsNotARepository()
    {
        var mirror = new GitRepositoryMirror(_temp.Combine("nothing-here"), _temp.Combine("mirror.git"));

        var error = Assert.Throws<WorkspaceException>(mirror.Update);

        Assert.StartsWith("cannot read the repository", error.Message);
    }

    [Fact]
    public void ResolveCommit_ThrowsWorkspaceException_WhenReferenceIsUnknown()
    {
        _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "1" });
        var mirror = new GitRepositoryMirror(_repository.Path, _temp.Combine("mirror.git"));
        mirror.Update();

        var error = Assert.Throws<WorkspaceException>(() => mirror.ResolveCommit("no-such-branch"));

        Assert.Contains("no commit 'no-such-branch'", error.Message);
    }
}
