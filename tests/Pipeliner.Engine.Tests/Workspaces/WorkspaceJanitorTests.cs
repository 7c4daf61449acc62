using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Workspaces;

public sealed class WorkspaceJanitorTests : IDisposable
{
    private readonly TempDirectory _data = new("data");
    private readonly DataLayout _layout;
    private readonly WorkspaceJanitor _janitor;

    public WorkspaceJanitorTests()
    {
        _layout = new DataLayout(_data.Path);
        _janitor = new WorkspaceJanitor(_layout);
    }

    public void Dispose() => _data.Dispose();

    [Fact]
    public void RemoveOrphans_RemovesOnlyWorkspacesOfDeadOrUnknownOwners_WhenSeveralRunsLeftSome()
    {
        _janitor.Claim("live");
        Directory.CreateDirectory(_layout.Workspace("live", "build", 1));
        Directory.CreateDirectory(_layout.Workspace("dead", "build", 1));
        var dead = OwnerIdentity.Current with { StartTicks = OwnerIdentity.Current.StartTicks - 100 };
        File.WriteAllText(Path.Combine(_layout.WorkspacesDirectory, "dead", ".owner"), dead.ToString());
        Directory.CreateDirectory(_layout.Workspace("unclaimed", "build", 1));

        _janitor.RemoveOrphans();

        Assert.True(Directory.Exists(_layout.Workspace("live", "build", 1)));
        Assert.False(Directory.Exists(Path.Combine(_layout.WorkspacesDirectory, "dead")));
        Assert.False(Directory.Exists(Path.Combine(_layout.WorkspacesDirectory, "unclaimed")));
    }

    [Fact]
    public void Release_RemovesTheRunsWorkspaces_WhenRunIsDone()
    {
        _janitor.Claim("5");
        Directory.CreateDirectory(_layout.Workspace("5", "build", 1));

        _janitor.Release("5");
        _janitor.Release("5");

        Assert.False(Directory.Exists(Path.Combine(_layout.WorkspacesDirectory, "5")));
    }
}
