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
