using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
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
    public async Task MarkInterruptedAsync_MarksRunsOfDeadProcessesAndEndsTheirLogs_WhenTheyNeverFinished()
    {
        var dead = await SaveRunningAsync("1", owner: $"{OwnerIdentity.LocalHost}/999999999/1");
        await File.WriteAllTextAsync(_layout.JobLog("1", "build", 1), "2026-12-04T10:00:00.000Z compiling\n2026-12-04T10:00:01.000Z half a li");
        await SaveRunningAsync("2", owner: null);
        var finished = Plans.Run(OneJob, runId: "3");
        finished.Job("build").Start(DateTimeOffset.UnixEpoch);
        finished.Job("build").Finish(AttemptOutcome.Succeeded(), DateTimeOffset.UnixEpoch);
        finished.Refresh(DateTimeOffset.UnixEpoch);
        await _store.SaveAsync(finished, "shop", CancellationToken.None);

        var marked = await _store.MarkInterruptedAsync(TimeProvider.System, CancellationToken.None);

        Assert.Equal(["1", "2"], marked.Select(r => r.Id).Order());
        var record = _store.Load("1")!;
        Assert.Equal(("interrupted", "interrupted"), (record.Status, record.Jobs.Single().Status));
        Assert.Equal($"interrupted: the pipeliner process that ran it ({dead}) ended before it finished", record.Jobs.Single().Attempts.Single().Message);
        var log = await File.ReadAllLinesAsync(_layout.JobLog("1", "build", 1));
        Assert.Equal(3, log.Length);
        Assert.Equal("2026-12-04T10:00:01.000Z half a li", log[1]);
        Assert.EndsWith($"Z pipeliner: attempt interrupted: the pipeliner process that ran it ({dead}) ended before it finished", log[2]);
        Assert.Equal("succeeded", _store.Load("3")!.Status);
    }

    [Fact]
    public async Task MarkInterruptedAsync_LeavesARunAlone_WhenItsProcessStillRuns()
    {
        await _store.SaveAsync(Running("5"), "shop", CancellationToken.None);

        Assert.Empty(await _store.MarkInterruptedAsync(TimeProvider.System, CancellationToken.None));
        Assert.Equal("running", _store.Load("5")!.Status);
    }

    private const string OneJob = """
        stages: [build]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }
        """;

    private static Run Running(string id)
    {
        var run = Plans.Run(OneJob, runId: id);
        run.Job("build").Start(DateTimeOffset.UnixEpoch);
        run.Refresh(DateTimeOffset.UnixEpoch);
        return run;
    }

    /// <summary>A running run as a process that has died since (or an older version, which wrote no owner) left it.</summary>
    private async Task<string?> SaveRunningAsync(string id, string? owner)
    {
        await _store.SaveAsync(Running(id), "shop", CancellationToken.None);
        var path = _layout.RunRecord(id);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        if (owner is null) json.AsObject().Remove("owner");
        else json["owner"] = owner;
        await File.WriteAllTextAsync(path, json.ToJsonString());
        Directory.CreateDirectory(Path.GetDirectoryName(_layout.JobLog(id, "build", 1))!);
        return owner;
    }

    [Fact]
    public void Load_ReturnsNull_WhenRunWasNeverSaved()
    {
        Assert.Null(_store.Load("404"));
    }
}
