using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;
using Xunit.Abstractions;

namespace Pipeliner.Server.Tests.Reliability;

/// <summary>
/// The kill -9 matrix, on real server processes and the real Docker engine: a process is killed while runs are queued,
/// while their containers run (twice in a row), while their logs stream, and started again. Afterwards no run is lost,
/// duplicated or stuck, no container or workspace is left, every lost attempt's log is complete and ends saying what
/// happened, and the lost attempts used none of the job's <c>retry</c>. Each scenario prints its figures as a line
/// <c>reliability: | … |</c> (a row of the table in docs/operations.md, "Crash safety"). On its own:
/// <c>dotnet test tests/Pipeliner.Server.Tests -c Release --filter Category=Reliability</c>.
/// </summary>
[Trait("Category", "Reliability")]
public sealed partial class KillMatrixTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static TheoryData<KillTarget> Targets => new(Enum.GetValues<KillTarget>());

    /// <summary>Runs queue in the server: killing an agent that has none of them is no scenario.</summary>
    public static TheoryData<KillTarget> QueueHolders => new(new[] { KillTarget.Server });

    [Theory]
    [MemberData(nameof(QueueHolders))]
    public async Task Restart_RunsEachQueuedRunOnce_WhenKilledWhileRunsAreQueued(KillTarget target)
    {
        var job = UniqueJob("queued");
        // No agent capacity at first: the runs wait in the queue until the process is killed.
        await using var harness = await CrashHarness.StartAsync(OneJob(job, "retry: 0", "\"echo ran once\""), agentCapacity: 0);
        var runs = new[] { await harness.TriggerAsync(), await harness.TriggerAsync(), await harness.TriggerAsync() };
        foreach (var id in runs) Assert.Equal("queued", (await harness.Client.GetRunAsync(id)).Status);

        await harness.KillAndRestartAsync(target);

        var figures = await SettleAsync(harness, $"{target}, killed while 3 runs are queued", [job]);
        foreach (var id in runs)
        {
            var run = await harness.Client.GetRunAsync(id);
            Assert.Equal("succeeded", run.Status);
            var attempt = Assert.Single(run.Job(job).Attempts);
            Assert.Contains("ran once", await harness.Client.LogAsync(id, job, attempt.Number), StringComparison.Ordinal);
        }

        Assert.Equal(0, figures.LostAttempts);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Restart_RequeuesTheLostAttemptWithoutUsingRetry_WhenKilledTwiceInARowWhileContainersRun(KillTarget target)
    {
        var sleeper = UniqueJob("sleeper");
        var after = UniqueJob("after");
        var pipeline = $$"""
            stages: [build, test]
            defaults: { image: alpine:3 }
            jobs:
              {{sleeper}}:
                stage: build
                retry: 0
                script: ["echo started", "sleep 6", "echo slept"]
              {{after}}:
                stage: test
                needs: [{{sleeper}}]
                script: ["echo after"]

            """;
        await using var harness = await CrashHarness.StartAsync(pipeline, target: target);
        var id = await harness.TriggerAsync();

        // Killed once the container runs and its first line reached the server (a remote agent ships its log every second:
        // what it had not shipped yet dies with it).
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            await CrashHarness.RunningContainerAsync(sleeper, attempt);
            var number = attempt;
            await Poll.UntilAsync(() => harness.LogLinesSoFarAsync(id, sleeper, number),
                log => log.Any(line => line.EndsWith(" started", StringComparison.Ordinal)), $"attempt {attempt}'s first line", Patience);
            await harness.KillAndRestartAsync(target);
        }

        var figures = await SettleAsync(harness, $"{target}, killed twice in a row while a container runs", [sleeper, after]);
        var run = await harness.Client.GetRunAsync(id);
        Assert.Equal("succeeded", run.Status);
        // retry: 0, and yet a third attempt: the two lost ones used none of it.
        Assert.Equal([("failed", "lost"), ("failed", "lost"), ("succeeded", null)],
            run.Job(sleeper).Attempts.Select(a => (a.Status, a.Cause)));
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var log = await harness.LogLinesAsync(id, sleeper, attempt);
            Assert.Contains(log, line => line.EndsWith(" started", StringComparison.Ordinal));
            Assert.Matches(CrashLine(target), log[^1]);
            Assert.EndsWith($"queued again (lost {attempt} of at most 3 times in a row; retry not used)", log[^1], StringComparison.Ordinal);
        }

        Assert.EndsWith(" pipeliner: job succeeded", (await harness.LogLinesAsync(id, sleeper, 3))[^1], StringComparison.Ordinal);
        Assert.Equal("succeeded", run.Job(after).Status);
        Assert.Equal(2, figures.LostAttempts);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Restart_KeepsTheStreamedLogAndTheRetryBudget_WhenKilledWhileLogsStream(KillTarget target)
    {
        var stream = UniqueJob("stream");
        // Fails on its own after its lines: with retry: 1 it must run twice more after the lost attempt, not once.
        await using var harness = await CrashHarness.StartAsync(OneJob(stream, "retry: 1\n    allow_failure: true",
            "'for i in $(seq 1 30); do echo \"line $i\"; sleep 0.1; done'", "\"exit 3\""), target: target);
        var id = await harness.TriggerAsync();
        await Poll.UntilAsync(() => harness.LogLinesSoFarAsync(id, stream, 1), log => log.Count(IsNumberedLine) >= 5,
            "the log to stream its first lines", Patience);

        await harness.KillAndRestartAsync(target);

        var figures = await SettleAsync(harness, $"{target}, killed while a log streams", [stream]);
        var run = await harness.Client.GetRunAsync(id);
        Assert.Equal("succeeded", run.Status);
        Assert.Equal([("failed", "lost"), ("failed", "job"), ("failed", "job")], run.Job(stream).Attempts.Select(a => (a.Status, a.Cause)));
        var lost = await harness.LogLinesAsync(id, stream, 1);
        var streamed = lost.Where(IsNumberedLine).Select(line => line[(line.LastIndexOf(' ') + 1)..]).ToList();
        Assert.Equal(Enumerable.Range(1, streamed.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), streamed);
        Assert.Matches(CrashLine(target), lost[^1]);
        foreach (var attempt in new[] { 2, 3 })
        {
            var log = await harness.LogLinesAsync(id, stream, attempt);
            // The whole log in the message: which line went missing says where it was lost.
            Assert.True(log.Count(IsNumberedLine) == 30, $"attempt {attempt} logged {log.Count(IsNumberedLine)} of 30 numbered lines:\n{string.Join('\n', log)}\n--- server output ---\n{harness.Server.Output}");
            Assert.EndsWith(" pipeliner: job failed: exit code 3", log[^1], StringComparison.Ordinal);
        }

        Assert.Equal(1, figures.LostAttempts);
    }

    private async Task<CrashFigures> SettleAsync(CrashHarness harness, string scenario, IReadOnlyCollection<string> jobs)
    {
        var figures = await harness.SettleAsync(scenario, jobs, Patience);
        output.WriteLine(CrashFigures.Header);
        output.WriteLine(figures.ToString());
        // Also on the console: `dotnet test` shows it at its normal verbosity, so CI's log carries the figures.
        Console.WriteLine($"reliability: {figures}");
        Assert.True(figures.Clean, $"{figures}\n{harness.Output}");
        return figures;
    }

    private static string OneJob(string job, string settings, params string[] commands) => $$"""
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          {{job}}:
            stage: build
            {{settings}}
            script: [{{string.Join(", ", commands)}}]

        """;

    /// <summary>Job names no other test uses: containers are found by their job label.</summary>
    private static string UniqueJob(string name) => $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];

    private static bool IsNumberedLine(string line) => NumberedLine().IsMatch(line);

    [GeneratedRegex(@"Z line \d+$")]
    private static partial Regex NumberedLine();

    /// <summary>The line a lost attempt's log ends with: when, that it was lost and why, and what became of the job.</summary>
    private static Regex CrashLine(KillTarget target) => target == KillTarget.Server ? ServerCrashLine() : AgentCrashLine();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pipeliner: lost: the server stopped while the attempt ran \(killed, crashed or restarted\); queued again")]
    private static partial Regex ServerCrashLine();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z pipeliner: lost: its agent crash-agent started again while the attempt ran; queued again")]
    private static partial Regex AgentCrashLine();
}
