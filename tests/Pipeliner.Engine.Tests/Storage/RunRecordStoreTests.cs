using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Storage;

public sealed class RunRecordStoreTests : IDisposable
{
    private readonly TempDirectory _data = new("data");
    private readonly RunRecordStore _store;
    private readonly DataLayout _layout;

    public RunRecordStoreTests()
    {
        _layout = new DataLayout(_data.Path);
        _store = new RunRecordStore(_layout);
    }

    public void Dispose() => _data.Dispose();

    [Fact]
    public void ReserveRunId_CountsUp_WhenRunsAreReservedOneAfterAnother()
    {
        Assert.Equal(["1", "2", "3"], new[] { _store.ReserveRunId(), _store.ReserveRunId(), _store.ReserveRunId() });
    }

    [Fact]
    public async Task ReserveRunId_GivesEveryCallerItsOwnNumber_WhenCalledConcurrently()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(_store.ReserveRunId)));

        Assert.Equal(20, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), ids.Order());
    }

    [Fact]
    public async Task SaveAsync_WritesAttemptsWithRelativeLogPaths_WhenJobWasRetried()
    {
        var run = Plans.Run("""
            stages: [build]
            jobs:
              build: { stage: build, image: alpine:3, retry: 1, script: [make] }
            """, runId: "7");
        var now = DateTimeOffset.UnixEpoch;
        var job = run.Job("build");
        job.Start(now, "docker");
        job.Finish(AttemptOutcome.Failed(2, "exit code 2"), now.AddSeconds(1));
        job.Start(now.AddSeconds(2), "docker");
        job.Finish(AttemptOutcome.Succeeded(1234), now.AddSeconds(3));
        run.Refresh(now.AddSeconds(3));

        await _store.SaveAsync(run, "shop", CancellationToken.None);
        var record = _store.Load("7");

        Assert.NotNull(record);
        Assert.Equal("succeeded", record.Status);
        Assert.Equal("shop", record.Project);
        var saved = Assert.Single(record.Jobs);
        Assert.Equal(["failed", "succeeded"], saved.Attempts.Select(a => a.Status));
        Assert.Equal(["runs/7/logs/build/1.log", "runs/7/logs/build/2.log"], saved.Attempts.Select(a => a.Log));
        Assert.Equal(2, saved.Attempts[0].ExitCode);
        Assert.Equal(1234, saved.Attempts[1].PeakMemoryBytes);
        Assert.False(File.Exists(_layout.RunRecord("7") + ".tmp"));
    }

    [Fact]
    public void Load_ReturnsNull_WhenRunWasNeverSaved()
    {
        Assert.Null(_store.Load("404"));
    }
}
