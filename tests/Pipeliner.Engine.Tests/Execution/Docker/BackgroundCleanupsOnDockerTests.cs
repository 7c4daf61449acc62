using System.Collections.Concurrent;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Tests.TestDoubles;
using Pipeliner.Engine.Workspaces;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary>A job slot gets its report while the attempt's containers and workspace are still being removed behind it.</summary>
[Collection(DockerCollection.Name)]
public sealed class BackgroundCleanupsOnDockerTests(DockerEngineFixture engine) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly TempDirectory _data = new("data");
    private readonly TestRepository _repository = new();
    private readonly ConcurrentQueue<Exception> _failures = new();

    private DataLayout Layout => new(_data.Path);

    [Fact]
    public async Task RunAsync_ReturnsTheCompleteReport_WhileTheContainerIsStillBeingRemoved()
    {
        await using var backend = new HeldCleanupBackend(new DockerBackend(engine.Endpoint));
        var cleanups = Cleanups(2);
        var assignment = Assignment("echo hello");
        var lines = new ConcurrentQueue<LogLine>();

        var report = await cleanups.RunAsync(await cleanups.ReserveAsync(CancellationToken.None), Runner(backend), assignment, lines.Enqueue,
            CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(JobStatus.Succeeded, report.Outcome.Status);
        var text = lines.Select(l => l.Text).ToList();
        Assert.Contains("hello", text);
        Assert.Equal("pipeliner: job succeeded", text[^1]);
        Assert.Equal(1, cleanups.Pending);
        Assert.Single(await engine.ContainersOfRunAsync(assignment.RunId));

        backend.ReleaseCleanup();
        await cleanups.DrainAsync().WaitAsync(Patience);

        Assert.Empty(await engine.ContainersOfRunAsync(assignment.RunId));
        Assert.False(Directory.Exists(Layout.Workspace(assignment.RunId, "job", 1)));
        Assert.Equal(0, cleanups.Pending);
        Assert.Empty(_failures);
    }

    [Fact]
    public async Task ReserveAsync_Waits_WhenEveryPlaceHoldsACleanup()
    {
        await using var backend = new HeldCleanupBackend(new DockerBackend(engine.Endpoint));
        var cleanups = Cleanups(1);
        var assignment = Assignment("true");
        var place = await cleanups.ReserveAsync(CancellationToken.None);
        await cleanups.RunAsync(place, Runner(backend), assignment, null, CancellationToken.None).WaitAsync(Patience);
        // Taken over by the attempt: the caller's disposal gives nothing back while the clean-up is behind.
        place.Dispose();

        var next = cleanups.ReserveAsync(CancellationToken.None);

        Assert.False(next.IsCompleted);
        backend.ReleaseCleanup();
        (await next.WaitAsync(Patience)).Dispose();
        await cleanups.DrainAsync().WaitAsync(Patience);
        Assert.Empty(await engine.ContainersOfRunAsync(assignment.RunId));
    }

    [Fact]
    public async Task RunAsync_KeepsTheReportAndTellsTheFailure_WhenRemovingTheContainerFails()
    {
        await using var backend = new HeldCleanupBackend(new DockerBackend(engine.Endpoint)) { CleanupFault = new IOException("the engine refused") };
        backend.ReleaseCleanup();
        var cleanups = Cleanups(2);
        var assignment = Assignment("echo hello");

        var report = await cleanups.RunAsync(await cleanups.ReserveAsync(CancellationToken.None), Runner(backend), assignment, null, CancellationToken.None)
            .WaitAsync(Patience);
        await cleanups.DrainAsync().WaitAsync(Patience);

        Assert.Equal(JobStatus.Succeeded, report.Outcome.Status);
        Assert.IsType<IOException>(Assert.Single(_failures));
        Assert.Equal(0, cleanups.Pending);
        Assert.Single(await engine.ContainersOfRunAsync(assignment.RunId));

        // Its owner lives on, so no sweeper on this machine takes it (a dead owner's would be anyone's): remove it here.
        foreach (var leftover in await engine.ContainersOfRunAsync(assignment.RunId))
            await engine.Client.Containers.RemoveContainerAsync(leftover.ID, new() { Force = true });
    }

    [Fact]
    public async Task RunAsync_ReportsCanceledAndRemovesTheContainerBehind_WhenTheJobIsStopped()
    {
        await using var backend = new DockerBackend(engine.Endpoint);
        var cleanups = Cleanups(2);
        var assignment = Assignment("sleep 300");
        using var stop = new CancellationTokenSource();
        var running = cleanups.RunAsync(await cleanups.ReserveAsync(CancellationToken.None), Runner(backend), assignment, null, stop.Token);
        await WaitForRunningContainerAsync(assignment.RunId);

        await stop.CancelAsync();
        var report = await running.WaitAsync(Patience);
        await cleanups.DrainAsync().WaitAsync(Patience);

        Assert.Equal(JobStatus.Canceled, report.Outcome.Status);
        Assert.Empty(await engine.ContainersOfRunAsync(assignment.RunId));
        Assert.Empty(_failures);
    }

    [Fact]
    public async Task RunAsync_ThrowsWithItsCleanupDone_WhenTheAttemptFailsBeforeItsOutcome()
    {
        await using var backend = new ScriptedBackend().Job("job", new ScriptedJob { StartFault = new InvalidOperationException("no engine") });
        var cleanups = Cleanups(1);

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await cleanups.RunAsync(await cleanups.ReserveAsync(CancellationToken.None), Runner(backend), Assignment("true"), null, CancellationToken.None));

        Assert.Equal(1, backend.CountCalls(nameof(ScriptedBackend.DestroyWorkflowAsync), "job", 1));
        (await cleanups.ReserveAsync(CancellationToken.None).WaitAsync(Patience)).Dispose();
        Assert.Empty(_failures);
    }

    public void Dispose()
    {
        _repository.Dispose();
        _data.Dispose();
    }

    private BackgroundCleanups Cleanups(int limit) => new(limit, (_, e) => _failures.Enqueue(e));

    private JobRunner Runner(IExecutionBackend backend) => new(backend, Layout, new WorkspacePreparer(Layout), TimeProvider.System);

    private JobAssignment Assignment(string script)
    {
        var yaml = $$"""
            stages: [main]
            jobs:
              job:
                stage: main
                image: {{DockerEngineFixture.Image}}
                script: ["{{script}}"]
            """;
        var commit = _repository.CommitPipeline(yaml);
        var runId = Plans.NewRunId();
        var plan = PipelinePlanner.Plan(Plans.Load(yaml), Plans.Push(runId, "project", commit));
        return new JobAssignment
        {
            RunId = runId,
            Project = "project",
            Repository = _repository.Path,
            CommitSha = commit,
            Job = plan.Jobs.Single(),
            Attempt = 1,
            CacheScopes = CacheScopes.Local,
        };
    }

    private async Task WaitForRunningContainerAsync(string runId)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!(await engine.ContainersOfRunAsync(runId)).Any(c => c.State == "running"))
            await Task.Delay(100, deadline.Token);
    }
}
