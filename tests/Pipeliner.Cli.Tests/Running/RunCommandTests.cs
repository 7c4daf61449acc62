using System.Globalization;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Pipeliner.Cli.Running;

namespace Pipeliner.Cli.Tests.Running;

/// <summary><c>pipeliner run</c> on the real engine, driven in-process through <see cref="CliApp"/>.</summary>
[Collection(CliDockerCollection.Name)]
public sealed class RunCommandTests(CliDockerEngine engine) : IDisposable
{
    private readonly RunWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Run_ExitsZeroAndPrintsLiveLogsAndSummaryTable_WhenPipelineSucceeds()
    {
        _workspace.Commit("""
            stages: [build, test]
            jobs:
              build: { stage: build, image: alpine:3, script: ["echo compiling"] }
              test: { stage: test, image: alpine:3, script: ["echo testing"] }
            """);

        var result = Run();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[build] $ echo compiling\n[build] compiling\n", result.Output);
        Assert.Contains("[test] testing\n", result.Output);
        Assert.Matches(@"\nJOB\s+STATUS\s+ATTEMPTS\s+DURATION\s+PEAK MEMORY\s+DETAIL\n", result.Output);
        Assert.Matches(@"\nbuild\s+succeeded\s+1\s+\d+\.\ds\s+(-|[\d.]+(Ki|Mi|Gi))\n", result.Output);
        Assert.Matches(@"\ntest\s+succeeded\s+1\s+\d+\.\ds\s", result.Output);
        Assert.Matches(@"\nrun 1: succeeded in \d+\.\ds\n", result.Output);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Run_ExitsOneWithTheReasonInTheSummary_WhenAJobFails()
    {
        _workspace.Commit("""
            stages: [build, test]
            jobs:
              build: { stage: build, image: alpine:3, script: ["exit 3"] }
              test: { stage: test, image: alpine:3, script: ["echo never"] }
            """);

        var result = Run();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"\nbuild\s+failed\s+1\s+\S+\s+\S+\s+exit code 3\n", result.Output);
        Assert.Matches(@"\ntest\s+skipped\s+0\s+-\s+-\s+needs 'build', which failed\n", result.Output);
        Assert.Contains("[test] == skipped: needs 'build', which failed", result.Output);
        Assert.Contains("run 1: failed", result.Output);
    }

    [Fact]
    public void Run_RunsOnlyTheSelectedJobAndWhatItNeeds_WhenJobIsGiven()
    {
        _workspace.Commit("""
            stages: [build, test, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: ["echo build ran"] }
              lint: { stage: build, image: alpine:3, script: ["echo lint ran"] }
              test: { stage: test, image: alpine:3, needs: [build], script: ["echo test ran"] }
              deploy: { stage: deploy, image: alpine:3, needs: [test], script: ["echo deploy ran"] }
            """);

        var result = Run("--job", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[build] build ran", result.Output);
        Assert.Contains("[test] test ran", result.Output);
        Assert.DoesNotContain("lint ran", result.Output);
        Assert.DoesNotContain("deploy ran", result.Output);
        Assert.Matches(@"\nlint\s+skipped\s+0\s+-\s+-\s+not selected \(--job\)\n", result.Output);
    }

    [Fact]
    public void Run_ExitsTwo_WhenJobOptionNamesNoJob()
    {
        _workspace.Commit("""
            stages: [build]
            jobs:
              build: { stage: build, image: alpine:3, script: ["true"] }
            """);

        var result = Run("--job", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("pipeliner: --job: no job named 'nope'\n", result.Error);
    }

    [Fact]
    public void Run_RunsManualJobOnlyIfApproved_WhenRunWithAndWithoutApprove()
    {
        _workspace.Commit("""
            stages: [build, deploy]
            jobs:
              build: { stage: build, image: alpine:3, script: ["true"] }
              deploy: { stage: deploy, image: alpine:3, when: manual, script: ["echo deploying"] }
            """);

        var waiting = Run();
        var approved = Run("--approve", "deploy");

        Assert.True(waiting.ExitCode == 0, waiting.ToString());
        Assert.DoesNotContain("deploying", waiting.Output);
        Assert.Matches(@"\ndeploy\s+pending\s+0\s+-\s+-\s+waiting for approval \(run with --approve 'deploy'\)\n", waiting.Output);
        Assert.Matches(@"run 1: succeeded in \S+, manual jobs available: deploy\n", waiting.Output);
        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Contains("[deploy] deploying", approved.Output);
        Assert.Contains("run 2: succeeded", approved.Output);
    }

    [Fact]
    public async Task Run_InjectsAndMasksSecrets_WhenGivenBySecretAndSecretsFile()
    {
        _workspace.Commit("""
            stages: [deploy]
            jobs:
              deploy:
                stage: deploy
                image: alpine:3
                secrets: [API_TOKEN, DB_PASSWORD]
                script: ["echo token=$API_TOKEN password=$DB_PASSWORD", "echo $DB_PASSWORD | base64"]
            """);
        var secretsFile = _workspace.WriteOutside("secrets.env", "# test secrets\nexport DB_PASSWORD=\"pa55-w0rd-from-file\"\nAPI_TOKEN=overridden\n");

        var result = Run("--secrets-file", secretsFile, "--secret", "API_TOKEN=t0ken-from-option");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[deploy] token=*** password=***\n", result.Output);
        var log = await File.ReadAllTextAsync(Path.Combine(_workspace.Data, "runs", "1", "logs", "deploy", "1.log"));
        Assert.Contains(" token=*** password=***\n", log);
        foreach (var text in new[] { result.Output, log })
        {
            Assert.DoesNotContain("t0ken-from-option", text);
            Assert.DoesNotContain("pa55-w0rd-from-file", text);
            Assert.DoesNotContain(Convert.ToBase64String("pa55-w0rd-from-file"u8)[..16], text);
        }
    }

    [Theory]
    [InlineData("--secret", "NO_EQUALS_SIGN", "pipeliner: --secret expects NAME=VALUE (the value given is not shown: it may be a secret)\n")]
    [InlineData("--secrets-file", "/nonexistent/secrets.env", "pipeliner: /nonexistent/secrets.env: no such secrets file\n")]
    public void Run_ExitsTwoWithOneLine_WhenSecretsAreMalformed(string option, string value, string error)
    {
        _workspace.Commit("""
            stages: [deploy]
            jobs:
              deploy: { stage: deploy, image: alpine:3, script: ["true"] }
            """);

        var result = Run(option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void Run_ExitsTwoWithFileAndLine_WhenSecretsFileIsInvalid()
    {
        _workspace.Commit("""
            stages: [deploy]
            jobs:
              deploy: { stage: deploy, image: alpine:3, script: ["true"] }
            """);
        var secretsFile = _workspace.WriteOutside("bad.env", "GOOD=1\nthis line is wrong\n");

        var result = Run("--secrets-file", secretsFile);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"pipeliner: {secretsFile}:2: expected NAME=value\n", result.Error);
    }

    [Fact]
    public void Run_LimitsJobsRunningAtOnce_WhenParallelIsGiven()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              one: { stage: main, image: alpine:3, script: ["echo begin", "sleep 1", "echo end"] }
              two: { stage: main, image: alpine:3, script: ["echo begin", "sleep 1", "echo end"] }
            """);

        var result = Run("--parallel", "1");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (one, two) = (Span("1", "one"), Span("1", "two"));
        Assert.True(one.End <= two.Begin || two.End <= one.Begin, $"one {one} and two {two} overlapped with --parallel 1");
    }

    [Fact]
    public async Task Run_RemovesLeftoversOfDeadProcessesWithoutTouchingItsOwnJobs_WhenLeftoversExist()
    {
        var orphan = await engine.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = "alpine:3",
            Cmd = ["sleep", "300"],
            Labels = new Dictionary<string, string>
            {
                ["io.pipeliner.managed"] = "true",
                // This machine, a process id no process has: its owner died.
                ["io.pipeliner.owner"] = $"{Pipeliner.Engine.Backends.OwnerIdentity.LocalHost}/{int.MaxValue}/1",
            },
        });
        try
        {
            _workspace.Commit("""
                stages: [main]
                jobs:
                  one: { stage: main, image: alpine:3, script: ["sleep 1", "echo one done"] }
                  two: { stage: main, image: alpine:3, script: ["sleep 1", "echo two done"] }
                """);

            var result = Run();

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("[one] one done\n", result.Output);
            Assert.Contains("[two] two done\n", result.Output);
            Assert.Empty(await engine.Client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["id"] = new Dictionary<string, bool> { [orphan.ID] = true } },
            }));
        }
        finally
        {
            try
            {
                await engine.Client.Containers.RemoveContainerAsync(orphan.ID, new ContainerRemoveParameters { Force = true });
            }
            catch (DockerContainerNotFoundException)
            {
                // Removed by the run, as it should be.
            }
        }
    }

    [Fact]
    public void Run_ExitsTwo_WhenParallelIsBelowOne()
    {
        _workspace.Commit("stages: [main]\njobs:\n  one: { stage: main, image: alpine:3, script: [\"true\"] }\n");

        var result = Run("--parallel", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--parallel must be at least 1", result.Error);
    }

    [Fact]
    public void Run_WritesRunRecordsAndLogsPerAttempt_WhenDataIsGiven()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              flaky: { stage: main, image: alpine:3, retry: 1, script: ["echo attempt of $PIPELINER_JOB", "exit 1"] }
              package:
                stage: main
                image: alpine:3
                script: ["mkdir -p dist", "echo app > dist/app"]
                artifacts: { paths: [dist/] }
            """);

        var first = Run();
        var second = Run();

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Contains("[flaky] == retrying: attempt 2 of 2", first.Output);
        Assert.Contains("run 2: failed", second.Output);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(_workspace.Data, "runs", "1", "run.json")));
        var root = record.RootElement;
        Assert.Equal("1", root.GetProperty("id").GetString());
        Assert.Equal("failed", root.GetProperty("status").GetString());
        Assert.Equal("main", root.GetProperty("branch").GetString());
        var flaky = root.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == "flaky");
        var attempts = flaky.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(["failed", "failed"], attempts.Select(a => a.GetProperty("status").GetString()));
        Assert.Equal(["runs/1/logs/flaky/1.log", "runs/1/logs/flaky/2.log"], attempts.Select(a => a.GetProperty("log").GetString()));
        foreach (var attempt in attempts)
            Assert.Contains("attempt of flaky", File.ReadAllText(Path.Combine(_workspace.Data, attempt.GetProperty("log").GetString()!)));
        var package = root.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetString() == "package");
        Assert.Equal("dist/", package.GetProperty("artifacts")[0].GetProperty("path").GetString());
        Assert.Matches("^[0-9a-f]{64}$", package.GetProperty("artifacts")[0].GetProperty("sha256").GetString());
        Assert.True(File.Exists(Path.Combine(_workspace.Data, "runs", "1", "artifacts", "package", "manifest.json")));
        Assert.True(File.Exists(Path.Combine(_workspace.Data, "runs", "2", "run.json")));
        Assert.False(Directory.Exists(Path.Combine(_workspace.Data, "workspaces", "1")));
    }

    [Fact]
    public async Task Run_KeepsDataInDotPipelinerOfTheRepository_WhenNoDataIsGiven()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              one: { stage: main, image: alpine:3, script: ["echo hi"] }
            """);

        var result = CliResult.Run("run", "--repo", _workspace.Repository);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"data in {Path.Combine(_workspace.Repository, ".pipeliner")}", result.Output);
        Assert.True(File.Exists(Path.Combine(_workspace.Repository, ".pipeliner", "runs", "1", "run.json")));
        using var repository = new LibGit2Sharp.Repository(_workspace.Repository);
        Assert.False(repository.RetrieveStatus(new LibGit2Sharp.StatusOptions()).IsDirty, "the data directory shows up in git status");
        Assert.Empty(await engine.ContainersOfRunOwnedByThisProcessAsync());
    }

    [Fact]
    public void Run_WarnsOnStderr_WhenTheTreeHasUncommittedChanges()
    {
        var commit = _workspace.Commit("""
            stages: [main]
            jobs:
              one: { stage: main, image: alpine:3, script: ["cat file.txt"] }
            """, ("file.txt", "committed\n"));
        _workspace.Write("file.txt", "edited but not committed\n");

        var result = Run();

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"pipeliner: note: uncommitted changes are not part of the run; it runs commit {commit[..12]}\n", result.Error);
        Assert.Contains("[one] committed", result.Output);
    }

    [Fact]
    public void Run_RunsTheNamedCommit_WhenCommitIsGiven()
    {
        var first = _workspace.Commit("""
            stages: [main]
            jobs:
              show: { stage: main, image: alpine:3, script: ["cat version.txt"] }
            """, ("version.txt", "one\n"));
        _workspace.Commit("""
            stages: [main]
            jobs:
              show: { stage: main, image: alpine:3, script: ["cat version.txt"] }
            """, ("version.txt", "two\n"));

        var result = Run("--commit", first[..10]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"at {first[..12]}", result.Output);
        Assert.Contains("[show] one\n", result.Output);
    }

    [Fact]
    public void Run_UsesThatPipelineFile_WhenFileIsGiven()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              committed: { stage: main, image: alpine:3, script: ["echo from the commit"] }
            """);
        var file = _workspace.WriteOutside("other.yml", """
            stages: [main]
            jobs:
              trying: { stage: main, image: alpine:3, script: ["echo from --file"] }
            """);

        var result = Run("--file", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[trying] from --file", result.Output);
        Assert.DoesNotContain("from the commit", result.Output);
    }

    [Fact]
    public void Run_ColoursJobPrefixesAndStatuses_WhenOutputIsATerminal()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              one: { stage: main, image: alpine:3, script: ["echo hi"] }
            """);
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = CliApp.Run(["run", "--repo", _workspace.Repository, "--data", _workspace.Data], new CliConsole(output, error, IsTerminal: true));

        Assert.Equal(0, exit);
        Assert.Contains("\e[36m[one]\e[0m hi\n", output.ToString());
        Assert.Matches("\e\\[32mone +succeeded", output.ToString());
    }

    private CliResult Run(params string[] args) =>
        CliResult.Run(["run", "--repo", _workspace.Repository, "--data", _workspace.Data, .. args]);

    /// <summary>When a job's script printed "begin" and "end", by its stored log's timestamps.</summary>
    private (DateTimeOffset Begin, DateTimeOffset End) Span(string run, string job)
    {
        var lines = File.ReadAllLines(Path.Combine(_workspace.Data, "runs", run, "logs", job, "1.log"));
        DateTimeOffset At(string text) => DateTimeOffset.Parse(lines.Single(l => l[25..] == text)[..24], CultureInfo.InvariantCulture);
        return (At("begin"), At("end"));
    }
}
