using System.Globalization;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Execution.Docker;

/// <summary><c>script</c> runs as <c>sh -e</c>, echoes each command, keeps stdout and stderr together and timestamps each line.</summary>
[Collection(DockerCollection.Name)]
public sealed class ScriptOnDockerTests(DockerEngineFixture engine) : DockerTest(engine)
{
    [Fact]
    public async Task ExecuteAsync_EchoesEachCommandAndStopsAtFirstFailure_WhenACommandFails()
    {
        var run = await Harness.RunAsync(Pipeline("echo one", "false", "echo never"));

        var attempt = run.Job("job").Attempts.Single();
        Assert.Equal(JobStatus.Failed, attempt.Status);
        Assert.Equal(1, attempt.ExitCode);
        Assert.Equal(["$ echo one", "one", "$ false"], Harness.ScriptOutput(run, "job"));
    }

    [Fact]
    public async Task ExecuteAsync_KeepsStdoutAndStderrInOrder_WhenScriptWritesToBoth()
    {
        var run = await Harness.RunAsync(Pipeline("for i in 1 2 3; do echo out$i; echo err$i >&2; done", "echo last >&2"));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal(["out1", "err1", "out2", "err2", "out3", "err3", "$ echo last >&2", "last"], Harness.ScriptOutput(run, "job").Skip(1));
    }

    [Fact]
    public async Task ExecuteAsync_StoresEveryLineInOrder_WhenScriptPrintsMegabytes()
    {
        var run = await Harness.RunAsync(Pipeline("seq 1 300000", "echo end >&2"));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var output = Harness.ScriptOutput(run, "job");
        Assert.Equal(Enumerable.Range(1, 300000).Select(i => i.ToString(CultureInfo.InvariantCulture)), output.Skip(1).Take(300000));
        Assert.Equal(["$ echo end >&2", "end"], output.Skip(300001));
    }

    [Fact]
    public async Task ExecuteAsync_EndsTheLogWhenTheScriptEnds_WhenABackgroundProcessKeepsItsOutputOpen()
    {
        var started = DateTimeOffset.UtcNow;

        var run = await Harness.RunAsync(Pipeline("sleep 120 &", "echo done"));

        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal("done", Harness.ScriptOutput(run, "job")[^1]);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(60), $"the job took {DateTimeOffset.UtcNow - started}");
        await AssertNoContainersLeftAsync(run);
    }

    [Fact]
    public async Task ExecuteAsync_TimestampsEveryStoredLineInUtc_WhenOutputArrives()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var run = await Harness.RunAsync(Pipeline("echo a", "sleep 1", "echo b"));

        var stamps = Harness.StoredLog(run, "job").Select(line => DateTimeOffset.ParseExact(line[..24], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)).ToList();
        Assert.True(stamps.Count >= 6);
        Assert.Equal(stamps.Order(), stamps);
        Assert.All(stamps, s => Assert.InRange(s, before, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.True(stamps[^1] - stamps[0] >= TimeSpan.FromSeconds(0.9), "the lines were not stamped as they arrived");
        Assert.Equal(Harness.LogText(run, "job"), Harness.Observer.LinesOf("job"));
    }

    [Theory]
    [InlineData("exit 0", JobStatus.Succeeded, 0)]
    [InlineData("echo bad news >&2", JobStatus.Succeeded, 0)]
    [InlineData("exit 3", JobStatus.Failed, 3)]
    public async Task ExecuteAsync_LetsExitCodeDecide_WhenOutputSaysOtherwise(string command, JobStatus status, int exitCode)
    {
        var run = await Harness.RunAsync(Pipeline(command));

        var attempt = run.Job("job").Attempts.Single();
        Assert.Equal(status, attempt.Status);
        Assert.Equal(exitCode, attempt.ExitCode);
        if (status == JobStatus.Failed) Assert.Equal($"exit code {exitCode}", attempt.Message);
    }

    private static string Pipeline(params string[] commands) =>
        "stages: [main]\njobs:\n  job:\n    stage: main\n    image: alpine:3\n    script:\n" +
        string.Concat(commands.Select(c => $"      - {Yaml.Quote(c)}\n"));
}
