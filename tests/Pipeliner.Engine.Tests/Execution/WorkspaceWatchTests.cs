using Pipeliner.Core.Model;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution;

public sealed class WorkspaceWatchTests : IDisposable
{
    private static readonly TimeSpan Often = TimeSpan.FromMilliseconds(20);
    private readonly TempDirectory _temp = new("workspace-watch");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Measure_CountsEveryFileBelowWithoutFollowingLinks_WhenTheFolderHasSubfolders()
    {
        var workspace = _temp.Combine("ws");
        Write(Path.Combine(workspace, "a.bin"), 1000);
        Write(Path.Combine(workspace, "deep/er/b.bin"), 2345);
        var outside = _temp.Combine("outside");
        Write(Path.Combine(outside, "huge.bin"), 50_000);
        Directory.CreateSymbolicLink(Path.Combine(workspace, "link"), outside);

        Assert.Equal(3345, WorkspaceWatch.Measure(workspace));
        Assert.Equal(0, WorkspaceWatch.Measure(_temp.Combine("missing")));
    }

    [Fact]
    public async Task Start_StopsTheJobAndSaysWhyOnce_WhenTheWorkspaceGrowsPastItsLimit()
    {
        var workspace = _temp.Combine("ws");
        Directory.CreateDirectory(workspace);
        var said = new List<string>();
        await using var watch = WorkspaceWatch.Start(workspace, new ByteSize(10_000), line => { lock (said) said.Add(line); }, Often)!;

        await Task.Delay(100);
        Assert.False(watch.Token.IsCancellationRequested);
        Write(Path.Combine(workspace, "grown.bin"), 20_000);
        // Returns as soon as the watch stops the job; the deadline only bounds a watch that never does.
        await Task.Delay(TimeSpan.FromSeconds(60), watch.Token).ContinueWith(_ => { });

        Assert.True(watch.Token.IsCancellationRequested);
        Assert.Equal("the workspace holds 19.53Ki, more than its limit of 9.77Ki (resources.workspace)", watch.Reason);
        await Poll.UntilAsync(() => { lock (said) return said.Count > 0; }, "the watch to say why it stopped the job");
        await Task.Delay(100);
        Assert.Equal(["pipeliner: the workspace holds 19.53Ki, more than its limit of 9.77Ki (resources.workspace): the job is stopped"], said);
    }

    [Fact]
    public async Task Start_LetsTheJobGoOn_WhenTheWorkspaceStaysWithinItsLimit()
    {
        var workspace = _temp.Combine("ws");
        Write(Path.Combine(workspace, "small.bin"), 9_000);
        await using var watch = WorkspaceWatch.Start(workspace, new ByteSize(10_000), _ => { }, Often)!;

        await Task.Delay(300);

        Assert.False(watch.Token.IsCancellationRequested);
        Assert.Null(watch.Reason);
    }

    [Fact]
    public void Start_WatchesNothing_WhenThereIsNoLimit() =>
        Assert.Null(WorkspaceWatch.Start(_temp.Path, null, _ => { }));

    private static void Write(string path, int bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[bytes]);
    }
}
