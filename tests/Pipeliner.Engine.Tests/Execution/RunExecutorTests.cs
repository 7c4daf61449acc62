using System.Diagnostics;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;
using Pipeliner.Engine.Tests.TestDoubles;

namespace Pipeliner.Engine.Tests.Execution;

/// <summary>The executor's scheduling and clean-up rules, on the scripted backend (fast, no Docker).</summary>
public sealed class RunExecutorTests : IAsyncLifetime
{
    private readonly ScriptedBackend _backend = new();
    private readonly PipelineHarness _harness;

    public RunExecutorTests() => _harness = PipelineHarness.On(_backend);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_KeepsEveryAttemptAndItsLog_WhenJobSucceedsOnLastRetry()
    {
        _backend.Job("build", attempt => attempt < 3 ? ScriptedJob.Fails(2, $"failing attempt {attempt}") : ScriptedJob.Succeeds("works now"));

        var run = await _harness.RunAsync(Pipeline("build", "retry: 2"));

        var job = run.Job("build");
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal([JobStatus.Failed, JobStatus.Failed, JobStatus.Succeeded], job.Attempts.Select(a => a.Status));
        Assert.Equal([1, 2, 3], job.Attempts.Select(a => a.Number));
        Assert.Equal(2, job.Attempts[0].ExitCode);
        Assert.Contains("failing attempt 1", _harness.LogText(run, "build", 1));
        Assert.Contains("failing attempt 2", _harness.LogText(run, "build", 2));
        Assert.Contains("works now", _harness.LogText(run, "build", 3));
        Assert.Equal(RunStatus.Succeeded, run.Status);
        AssertCleanedUpOncePerAttempt("build", 3);
    }

    [Fact]
    public async Task ExecuteAsync_StopsAfterRetriesAreUsedUp_WhenJobKeepsFailing()
    {
        _backend.Job("build", ScriptedJob.Fails());

        var run = await _harness.RunAsync(Pipeline("build", "retry: 1"));

        Assert.Equal(JobStatus.Failed, run.Job("build").Status);
        Assert.Equal(2, run.Job("build").Attempts.Count);
        Assert.Equal(RunStatus.Failed, run.Status);
        AssertCleanedUpOncePerAttempt("build", 2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ExecuteAsync_RunsAtMostParallelJobsAtOnce_WhenManyJobsAreReady(int parallel)
    {
        var jobs = Enumerable.Range(1, 4).Select(i => $"job{i}").ToList();
        // Long enough for every started job to get through its checkout while the others still run.
        foreach (var id in jobs) _backend.Job(id, ScriptedJob.Sleeps(TimeSpan.FromMilliseconds(500)));

        var run = await _harness.RunAsync(Pipeline(jobs), new RunOptions { Parallel = parallel });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(parallel, _backend.MaxConcurrent);
    }

    [Fact]
    public async Task ExecuteAsync_StartsNextJobWhileTheLastOneIsRemovedButEndsOnlyOnceAllAre_WhenParallelIsOne()
    {
        _backend.Job("job1", ScriptedJob.Succeeds("one"));
        _backend.Job("job2", ScriptedJob.Succeeds("two"));
        var removals = _backend.HoldDestroys();
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend.ScriptStarted += job =>
        {
            if (job == "job2") secondStarted.TrySetResult();
        };

        var execution = _harness.RunAsync(Pipeline(["job1", "job2"]), new RunOptions { Parallel = 1 });
        await secondStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var endedBeforeRemovals = execution.IsCompleted;
        removals.SetResult();
        var run = await execution;

        Assert.False(endedBeforeRemovals, "the run ended before its containers were removed");
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(1, _backend.MaxConcurrent);
        AssertCleanedUpOncePerAttempt("job1", 1);
        AssertCleanedUpOncePerAttempt("job2", 1);
    }

    [Fact]
    public async Task ExecuteAsync_FinishesRunWithManualJobAvailable_WhenItIsNotApproved()
    {
        const string yaml = """
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: [make] }
              deploy: { stage: deploy, image: alpine:3, when: manual, script: [ship] }
              smoke: { stage: deploy, image: alpine:3, needs: [deploy], script: [check] }
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(run.ManualJobsAvailable);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(JobStatus.Succeeded, run.Job("build").Status);
        Assert.Equal(JobStatus.Pending, run.Job("deploy").Status);
        Assert.Contains("--approve 'deploy'", run.Job("deploy").Reason);
        Assert.Equal(JobStatus.Pending, run.Job("smoke").Status);
        Assert.DoesNotContain(_backend.Attempts, a => a.Job is "deploy" or "smoke");
    }

    [Fact]
    public async Task ExecuteAsync_LeavesRunWaiting_WhenABlockingManualJobIsNotApproved()
    {
        const string yaml = """
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: [make] }
              deploy: { stage: deploy, image: alpine:3, when: manual, blocking: true, script: [ship] }
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Waiting, run.Status);
        Assert.False(run.ManualJobsAvailable);
        Assert.Null(run.FinishedAt);
        Assert.Equal(JobStatus.Pending, run.Job("deploy").Status);
    }

    [Theory]
    [InlineData("deploy")]
    [InlineData("deploy (eu)")]
    public async Task ExecuteAsync_RunsManualJob_WhenApprovedByNameOrId(string approved)
    {
        const string yaml = """
            stages: [deploy]
            jobs:
              deploy: { stage: deploy, image: alpine:3, when: manual, matrix: { REGION: [eu] }, script: [ship] }
            """;

        var run = await _harness.RunAsync(yaml, new RunOptions { Approved = new HashSet<string> { approved } });

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("--approve", run.Job("deploy (eu)").ApprovedBy);
        Assert.Equal([("deploy (eu)", 1)], _backend.Attempts);
    }

    [Fact]
    public async Task ExecuteAsync_CancelsEverythingAndCleansUp_WhenRunIsCancelled()
    {
        const string yaml = """
            stages: [test, report]
            jobs:
              unit: { stage: test, image: alpine:3, script: [test] }
              lint: { stage: test, image: alpine:3, script: [lint] }
              report: { stage: report, image: alpine:3, when: always, script: [report] }
            """;
        _backend.Job("unit", ScriptedJob.Sleeps(TimeSpan.FromMinutes(5))).Job("lint", ScriptedJob.Sleeps(TimeSpan.FromMinutes(5)));
        using var cancel = new CancellationTokenSource();
        var started = 0;
        _backend.ScriptStarted += _ =>
        {
            if (Interlocked.Increment(ref started) == 2) cancel.Cancel();
        };
        var clock = Stopwatch.StartNew();

        var run = await _harness.RunAsync(yaml, new RunOptions { Parallel = 2 }, cancel.Token);

        // The scripts sleep 5 minutes: ending well before that proves they were stopped, with room for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"cancelling took {clock.Elapsed}");
        Assert.Equal(RunStatus.Canceled, run.Status);
        Assert.All(run.Jobs, j => Assert.Equal(JobStatus.Canceled, j.Status));
        Assert.Equal(JobStatus.Canceled, run.Job("unit").Attempts.Single().Status);
        Assert.Empty(run.Job("report").Attempts);
        AssertCleanedUpOncePerAttempt("unit", 1);
        AssertCleanedUpOncePerAttempt("lint", 1);
        Assert.Equal(0, _backend.Calls.Count(c => c.Job == "report"));
    }

    [Fact]
    public async Task ExecuteAsync_MarksTimedOutAndCleansUpOnce_WhenJobExceedsItsTimeout()
    {
        _backend.Job("slow", ScriptedJob.Sleeps(TimeSpan.FromMinutes(5)));
        var clock = Stopwatch.StartNew();

        var run = await _harness.RunAsync(Pipeline("slow", "timeout: 1s"));

        // The script sleeps 5 minutes: ending well before that proves the 1s timeout stopped it, with room for a loaded machine.
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the timeout took {clock.Elapsed}");
        var attempt = run.Job("slow").Attempts.Single();
        Assert.Equal(JobStatus.TimedOut, attempt.Status);
        Assert.Equal("timed out after 1s", attempt.Message);
        Assert.Equal(RunStatus.Failed, run.Status);
        AssertCleanedUpOncePerAttempt("slow", 1);
    }

    [Fact]
    public async Task ExecuteAsync_RunsOnFailureJob_WhenAJobBeforeItFailed()
    {
        _backend.Job("build", ScriptedJob.Fails());

        var run = await _harness.RunAsync(OnFailurePipeline);

        Assert.Equal(JobStatus.Failed, run.Job("build").Status);
        Assert.Equal(JobStatus.Skipped, run.Job("deploy").Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("rollback").Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("notify").Status);
    }

    [Fact]
    public async Task ExecuteAsync_SkipsOnFailureJob_WhenNothingFailed()
    {
        var run = await _harness.RunAsync(OnFailurePipeline);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(JobStatus.Succeeded, run.Job("deploy").Status);
        Assert.Equal(JobStatus.Skipped, run.Job("rollback").Status);
        Assert.Equal("when: on_failure, and nothing before it failed", run.Job("rollback").Reason);
        Assert.Equal(JobStatus.Succeeded, run.Job("notify").Status);
        Assert.DoesNotContain(_backend.Attempts, a => a.Job == "rollback");
        Assert.Contains("skipped rollback", _harness.Observer.Events);
    }

    [Fact]
    public async Task ExecuteAsync_LetsRunSucceed_WhenFailingJobAllowsFailure()
    {
        _backend.Job("lint", ScriptedJob.Fails());
        const string yaml = """
            stages: [check, build]
            jobs:
              lint: { stage: check, image: alpine:3, allow_failure: true, script: [lint] }
              build: { stage: build, image: alpine:3, script: [make] }
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(JobStatus.Failed, run.Job("lint").Status);
        Assert.True(run.Job("lint").FailureAllowed);
        Assert.Equal(JobStatus.Succeeded, run.Job("build").Status);
        Assert.Equal(RunStatus.Succeeded, run.Status);
    }

    [Fact]
    public async Task ExecuteAsync_ReportsOutOfMemoryWithLimit_WhenStepWasKilledForMemory()
    {
        _backend.Job("big", new ScriptedJob { OutOfMemory = true, PeakMemoryBytes = 64L << 20 });

        var run = await _harness.RunAsync(Pipeline("big", "resources: { memory: 64Mi }"));

        var attempt = run.Job("big").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("killed: out of memory, limit 64Mi", attempt.Message);
        Assert.Equal(137, attempt.ExitCode);
        Assert.Equal(64L << 20, attempt.PeakMemoryBytes);
    }

    [Fact]
    public async Task ExecuteAsync_FailsJobOnceWithoutTouchingBackend_WhenSecretIsMissing()
    {
        var run = await _harness.RunAsync(Pipeline("deploy", "secrets: [TOKEN, KEY]\n    retry: 3"),
            new RunOptions { Secrets = new Dictionary<string, string> { ["KEY"] = "k-value" } });

        var attempt = run.Job("deploy").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("secret not provided: TOKEN", attempt.Message);
        Assert.Empty(_backend.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_MasksSecretsInObservedAndStoredLines_WhenScriptPrintsThem()
    {
        _backend.Job("deploy", ScriptedJob.Succeeds("token is s3cr3t-value", "plain line"));

        var run = await _harness.RunAsync(Pipeline("deploy", "secrets: [TOKEN]"),
            new RunOptions { Secrets = new Dictionary<string, string> { ["TOKEN"] = "s3cr3t-value" } });

        Assert.Contains("token is ***", _harness.Observer.LinesOf("deploy"));
        Assert.Contains("token is ***", _harness.LogText(run, "deploy"));
        Assert.DoesNotContain(_harness.Observer.AllLines, l => l.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_CleansUpEveryStartedAttemptThenThrows_WhenBackendFaults()
    {
        _backend.Job("broken", new ScriptedJob { StartFault = new InvalidOperationException("engine exploded") })
            .Job("fine", ScriptedJob.Sleeps(TimeSpan.FromMilliseconds(300)));

        var fault = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.RunAsync(Pipeline(["broken", "fine"]), new RunOptions { Parallel = 2 }));

        Assert.Equal("engine exploded", fault.Message);
        AssertCleanedUpOncePerAttempt("broken", 1);
        AssertCleanedUpOncePerAttempt("fine", 1);
    }

    private const string OnFailurePipeline = """
        stages: [build, deploy, after]
        jobs:
          build: { stage: build, image: alpine:3, script: [make] }
          deploy: { stage: deploy, image: alpine:3, script: [ship] }
          rollback: { stage: after, image: alpine:3, when: on_failure, script: [undo] }
          notify: { stage: after, image: alpine:3, when: always, script: [tell] }
        """;

    private static string Pipeline(string job, string extra) => $$"""
        stages: [main]
        jobs:
          {{job}}:
            stage: main
            image: alpine:3
            script: [run]
            {{extra}}
        """;

    private static string Pipeline(IEnumerable<string> jobs) =>
        "stages: [main]\njobs:\n" + string.Concat(jobs.Select(j => $"  {j}: {{ stage: main, image: alpine:3, script: [run] }}\n"));

    private void AssertCleanedUpOncePerAttempt(string job, int attempts)
    {
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            Assert.Equal(1, _backend.CountCalls(nameof(IExecutionBackend.DestroyStepAsync), job, attempt, "script"));
            Assert.Equal(1, _backend.CountCalls(nameof(IExecutionBackend.DestroyWorkflowAsync), job, attempt));
        }

        Assert.Equal(0, _backend.CountCalls(nameof(IExecutionBackend.SetupWorkflowAsync), job, attempts + 1));
    }
}
