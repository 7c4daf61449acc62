using System.Diagnostics;
using System.Globalization;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Backends.Shell;

/// <summary>The shell backend: the same script, as local processes in the workspace.</summary>
public sealed class ShellBackendTests : IAsyncLifetime
{
    private readonly PipelineHarness _harness = PipelineHarness.OnShell();
    private readonly TempDirectory _outside = new("outside");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _outside.Dispose();
    }

    [Fact]
    public async Task ExecuteAsync_StopsTheJobSayingWhy_WhenItsWorkspaceGrowsPastItsLimit()
    {
        const string yaml = """
            stages: [main]
            jobs:
              filler:
                stage: main
                image: alpine:3
                resources: { workspace: 4Mi }
                script: ["head -c 12582912 /dev/zero > big.bin", "sleep 300", "echo not-stopped"]
            """;

        var clock = Stopwatch.StartNew();
        var run = await _harness.RunAsync(yaml);

        var attempt = run.Job("filler").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Matches(@"^the workspace holds \d+(\.\d+)?Mi, more than its limit of 4Mi \(resources\.workspace\)$", attempt.Message);
        Assert.Contains($"pipeliner: {attempt.Message}: the job is stopped", _harness.LogText(run, "filler"));
        Assert.DoesNotContain("not-stopped", _harness.ScriptOutput(run, "filler"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"the run took {clock.Elapsed}: the job was not stopped while it slept");
    }

    [Fact]
    public async Task ExecuteAsync_RunsScriptInFreshCheckout_WhenJobStarts()
    {
        const string yaml = """
            stages: [main]
            jobs:
              job: { stage: main, image: alpine:3, script: ["pwd", "cat committed.txt", "test -d .git && echo has .git", "test -e dirty.txt || echo no dirty file"] }
            """;
        var commit = _harness.Repository.CommitPipeline(yaml, ("committed.txt", "committed\n"));
        _harness.Repository.WriteFile("dirty.txt", "uncommitted");

        var run = await _harness.RunAsync(yaml, commitSha: commit);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal([_harness.Layout.Workspace(run.Id, "job", 1), "committed", "has .git", "no dirty file"],
            _harness.ScriptOutput(run, "job").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
        Assert.Equal("pipeliner: job 'job', attempt 1, on the shell backend, image alpine:3", _harness.LogText(run, "job")[0]);
    }

    [Fact]
    public async Task ExecuteAsync_PassesJobVariablesAndOnlyBasicHostVariables_WhenScriptRuns()
    {
        // A variable only this test process has: a job must not see it.
        const string hostOnly = "SHELL_BACKEND_TEST_HOST_ONLY";
        Environment.SetEnvironmentVariable(hostOnly, "leaked");
        var yaml = $$"""
            stages: [main]
            variables: { GREETING: hello }
            jobs:
              job:
                stage: main
                image: alpine:3
                variables: { TARGET: world }
                script:
                  - echo "$GREETING $TARGET from $PIPELINER_JOB at $PIPELINER_WORKSPACE"
                  - echo "PATH set:${PATH:+yes}"
                  - echo "host variable:${{{hostOnly}}:-absent}"
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(
            [$"hello world from job at {_harness.Layout.Workspace(run.Id, "job", 1)}", "PATH set:yes", "host variable:absent"],
            _harness.ScriptOutput(run, "job").Where(l => !l.StartsWith("$ ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("exit 0", JobStatus.Succeeded, 0)]
    [InlineData("exit 7", JobStatus.Failed, 7)]
    [InlineData("false", JobStatus.Failed, 1)]
    public async Task ExecuteAsync_LetsExitCodeDecide_WhenScriptEnds(string command, JobStatus status, int exitCode)
    {
        var run = await _harness.RunAsync(Pipeline(command));

        var attempt = run.Job("job").Attempts.Single();
        Assert.Equal(status, attempt.Status);
        Assert.Equal(exitCode, attempt.ExitCode);
    }

    [Fact]
    public async Task ExecuteAsync_KillsTheWholeProcessTree_WhenJobTimesOut()
    {
        var pidFile = Path.Combine(_outside.Path, "child.pid");
        // 10 s, as below: the script must have written the pid file before the timeout ends it, also on a loaded machine.
        var yaml = Pipeline($"sleep 300 & echo $! > {pidFile}; sleep 300", "timeout: 10s");
        var clock = Stopwatch.StartNew();

        var run = await _harness.RunAsync(yaml);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"the timeout took {clock.Elapsed}: the script's sleep was waited for");
        Assert.Equal(JobStatus.TimedOut, run.Job("job").Status);
        var child = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
        await AssertProcessEndsAsync(child);
        Assert.False(Directory.Exists(_harness.Layout.Workspace(run.Id, "job", 1)));
    }

    [Fact]
    public async Task ExecuteAsync_KillsDetachedDescendants_WhenJobTimesOut()
    {
        var pidFile = Path.Combine(_outside.Path, "detached.pid");
        // 10 s: at a load average of 35 the script had not written the pid file within 2 s when the timeout ended it.
        var yaml = Pipeline($"(sleep 300 & echo $! > {pidFile}); sleep 300", "timeout: 10s");

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(JobStatus.TimedOut, run.Job("job").Status);
        await AssertProcessEndsAsync(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ExecuteAsync_EndsJobWithItsScript_WhenScriptLeavesABackgroundProcess()
    {
        var pidFile = Path.Combine(_outside.Path, "background.pid");
        var yaml = Pipeline($"sleep 300 & echo $! > {pidFile}; echo started server", "timeout: 1m");
        var clock = Stopwatch.StartNew();

        var run = await _harness.RunAsync(yaml);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the job took {clock.Elapsed}: it waited for its timeout");
        Assert.Equal(JobStatus.Succeeded, run.Job("job").Status);
        Assert.Contains("started server", _harness.ScriptOutput(run, "job"));
        await AssertProcessEndsAsync(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ExecuteAsync_EndsJobWithItsScript_WhenABackgroundProcessDropsTheStepsMarker()
    {
        // Found by neither the parent-child tree (its shell exited) nor the environment sweep: only by the script's group.
        var pidFile = Path.Combine(_outside.Path, "unmarked.pid");
        var yaml = Pipeline($"env -u PIPELINER_SHELL_STEP sleep 300 & echo $! > {pidFile}; echo started server", "timeout: 1m");

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(JobStatus.Succeeded, run.Job("job").Status);
        await AssertProcessEndsAsync(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ExecuteAsync_KillsTheScript_WhenRunIsCancelled()
    {
        var pidFile = Path.Combine(_outside.Path, "script.pid");
        using var cancel = new CancellationTokenSource();
        var running = _harness.RunAsync(Pipeline($"echo $$ > {pidFile}; sleep 300"), new RunOptions(), cancel.Token);
        while (!File.Exists(pidFile) || (await File.ReadAllTextAsync(pidFile)).Length == 0) await Task.Delay(50);

        await cancel.CancelAsync();
        var run = await running;

        Assert.Equal(RunStatus.Canceled, run.Status);
        await AssertProcessEndsAsync(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ExecuteAsync_RefusesServicesWithClearMessage_WhenJobHasThem()
    {
        var yaml = Pipeline("echo never", "services: [{ name: db, image: postgres:16 }]");

        var run = await _harness.RunAsync(yaml);

        var attempt = run.Job("job").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal("services need the docker backend; the shell backend cannot start them", attempt.Message);
        Assert.DoesNotContain("never", _harness.ScriptOutput(run, "job"));
    }

    [Fact]
    public async Task ExecuteAsync_HandsArtifactsToJobsThatNeedThem_WhenBothRunOnTheShell()
    {
        const string yaml = """
            stages: [build, test]
            jobs:
              build: { stage: build, image: alpine:3, script: ["mkdir -p out", "echo built > out/app"], artifacts: { paths: [out/] } }
              test: { stage: test, image: alpine:3, script: ["cat out/app"] }
            """;

        var run = await _harness.RunAsync(yaml);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Contains("built", _harness.ScriptOutput(run, "test"));
    }

    private static string Pipeline(string command, string extra = "") => $$"""
        stages: [main]
        jobs:
          job:
            stage: main
            image: alpine:3
            script: [{{Yaml.Quote(command)}}]
            {{extra}}
        """;

    /// <summary>Gone, or a zombie waiting for a slow init to reap it: either way no longer running.</summary>
    private static async Task AssertProcessEndsAsync(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (IsRunning(pid))
        {
            Assert.True(DateTime.UtcNow < deadline, $"process {pid} still runs");
            await Task.Delay(50);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
