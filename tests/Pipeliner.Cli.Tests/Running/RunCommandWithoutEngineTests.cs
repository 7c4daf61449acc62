using System.Diagnostics;
using Pipeliner.Cli.Running;

namespace Pipeliner.Cli.Tests.Running;

/// <summary><c>pipeliner run</c> where no container runs: invalid pipelines, the shell backend, a missing engine.</summary>
public sealed class RunCommandWithoutEngineTests : IDisposable
{
    private readonly RunWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Run_ExitsTwoWithFileLineColumnErrors_WhenPipelineIsInvalid()
    {
        _workspace.Commit("""
            stages: [build]
            jobs:
              build:
                stage: nowhere
                image: alpine:3
                script: ["true"]
            """);

        var result = Run();

        Assert.Equal(2, result.ExitCode);
        Assert.Matches(@"^\.pipeliner\.yml:4:\d+: error: .*nowhere", result.Error);
        Assert.DoesNotContain("JOB", result.Output);
    }

    [Fact]
    public void Run_ExitsTwo_WhenTheCommitHasNoPipeline()
    {
        _workspace.Write("README.md", "no pipeline here");
        using (var repository = new LibGit2Sharp.Repository(_workspace.Repository))
        {
            LibGit2Sharp.Commands.Stage(repository, "*");
            var signature = new LibGit2Sharp.Signature("t", "t@t.invalid", DateTimeOffset.UnixEpoch);
            repository.Commit("no pipeline", signature, signature, new LibGit2Sharp.CommitOptions());
        }

        var result = Run();

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("pipeliner: no .pipeliner.yml at commit ", result.Error);
    }

    [Fact]
    public void Run_ExitsTwo_WhenRepoIsNotAGitRepository()
    {
        var result = CliResult.Run("run", "--repo", _workspace.Root, "--data", _workspace.Data);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"pipeliner: not a git repository: {_workspace.Root} (pass --repo DIR)\n", result.Error);
    }

    [Fact]
    public void Run_ExitsTwoSayingThereIsNoRepository_WhenRepoDoesNotExist()
    {
        var missing = Path.Combine(_workspace.Root, "no-such-repo");

        var result = CliResult.Run("run", "--repo", missing, "--data", _workspace.Data);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"pipeliner: no repository at {missing}: no such directory (--repo)\n", result.Error);
    }

    [Fact]
    public void Run_RunsJobsAsLocalProcessesAndSaysSo_WhenBackendIsShell()
    {
        _workspace.Commit("""
            stages: [main]
            jobs:
              local: { stage: main, image: alpine:3, script: ["echo running in $PWD"] }
            """);

        var result = Run("--backend", "shell");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("pipeliner: shell backend: jobs run unisolated, as this user, on this machine (no images, services or limits)\n", result.Error);
        Assert.Contains($"[local] running in {Path.Combine(_workspace.Data, "workspaces", "1", "local-1")}", result.Output);
        Assert.Contains("backend shell", result.Output);
    }

    [Fact]
    public void Run_ExitsTwo_WhenBackendIsUnknown()
    {
        _workspace.Commit("stages: [main]\njobs:\n  one: { stage: main, image: alpine:3, script: [\"true\"] }\n");

        var result = Run("--backend", "kubernetes");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("kubernetes", result.Error);
    }

    [Fact]
    public void Run_SaysWhyAndExitsZero_WhenThePipelineIsNotTriggeredForTheBranch()
    {
        _workspace.Commit("""
            on:
              push:
                branches: [main]
            stages: [main]
            jobs:
              one: { stage: main, image: alpine:3, script: ["true"] }
            """);

        var result = Run("--branch", "feature/x");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("pipeliner: no run: ", result.Output);
        Assert.False(Directory.Exists(Path.Combine(_workspace.Data, "runs", "1")));
    }

    [Fact]
    public async Task Run_PrintsOneLineSayingWhereItLookedAndExitsTwo_WhenNoDockerEngineAnswers()
    {
        _workspace.Commit("stages: [main]\njobs:\n  one: { stage: main, image: alpine:3, script: [\"true\"] }\n");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["DOCKER_HOST"] = "unix:///tmp/nothing.sock" },
            ArgumentList = { typeof(CliApp).Assembly.Location, "run", "--repo", _workspace.Repository, "--data", _workspace.Data },
        };

        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);

        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode}\n{await output}\n{await error}");
        var line = Assert.Single((await error).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("pipeliner: no Docker engine answers at unix:///tmp/nothing.sock (DOCKER_HOST): the socket does not exist; ", line);
        Assert.Contains("docker-engine.sh start", line);
        Assert.EndsWith("or run jobs without containers, unisolated, with --backend shell", line);
        Assert.Equal("", await output);
    }

    [Fact]
    public async Task ExecuteAsync_Returns130WithoutAStackTrace_WhenInterruptedBeforeAnyJobStarts()
    {
        _workspace.Commit("stages: [main]\njobs:\n  one: { stage: main, image: alpine:3, script: [\"true\"] }\n");
        var (output, error) = (new StringWriter(), new StringWriter());
        using var interrupted = new CancellationTokenSource();
        await interrupted.CancelAsync();

        var exit = await new LocalRun(new CliConsole(output, error), TimeProvider.System)
            .ExecuteAsync(new RunRequest { Repository = _workspace.Repository, DataDirectory = _workspace.Data }, interrupted.Token);

        Assert.Equal(LocalRun.Interrupted, exit);
        Assert.DoesNotContain("   at ", error.ToString());
    }

    private CliResult Run(params string[] args) =>
        CliResult.Run(["run", "--repo", _workspace.Repository, "--data", _workspace.Data, .. args]);
}
