using LibGit2Sharp;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Workspaces;

public sealed class WorkspacePreparerTests : IDisposable
{
    private readonly TestRepository _repository = new();
    private readonly TempDirectory _data = new("data");

    public void Dispose()
    {
        _repository.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task EnsureCommitAsync_FetchesOnlyThePushedBranch_WhenTheMirrorExists()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var preparer = new WorkspacePreparer(new DataLayout(_data.Path));
        await preparer.UpdateAsync("demo", _repository.Path, CancellationToken.None);
        var pushed = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "pushed" });
        using (var source = new Repository(_repository.Path))
        {
            source.Branches.Add("feature/pushed", pushed);
            source.Branches.Add("feature/other", first);
        }

        var mirror = await preparer.EnsureCommitAsync("demo", _repository.Path, pushed, CancellationToken.None, "refs/heads/feature/pushed");

        Assert.True(mirror.Holds(pushed));
        using var fetched = new Repository(mirror.MirrorPath);
        Assert.Equal(pushed, fetched.Refs["refs/heads/feature/pushed"]?.TargetIdentifier);
        // The other branches wait for the next whole update: a push does not list and compare every ref.
        Assert.Null(fetched.Refs["refs/heads/feature/other"]);
        Assert.Equal(first, fetched.Refs["refs/heads/main"]?.TargetIdentifier);
    }

    [Fact]
    public async Task EnsureCommitAsync_UpdatesTheWholeMirror_WhenThePushedRefIsGoneOrTheMirrorIsNew()
    {
        var first = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "first" });
        var preparer = new WorkspacePreparer(new DataLayout(_data.Path));

        var cloned = await preparer.EnsureCommitAsync("demo", _repository.Path, first, CancellationToken.None, "refs/heads/main");
        Assert.True(cloned.Holds(first));

        var later = _repository.Commit(new Dictionary<string, string> { ["a.txt"] = "later" });
        var mirror = await preparer.EnsureCommitAsync("demo", _repository.Path, later, CancellationToken.None, "refs/heads/deleted-since");

        Assert.True(mirror.Holds(later));
        using var fetched = new Repository(mirror.MirrorPath);
        Assert.Equal(later, fetched.Refs["refs/heads/main"]?.TargetIdentifier);
    }
}
