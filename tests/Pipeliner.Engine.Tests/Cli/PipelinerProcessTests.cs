using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Cli;

/// <summary>
/// The real <c>pipeliner run</c> as a child process: killed outright, the next run removes what it left and records the
/// killed run as interrupted; interrupted with Ctrl-C, it stops its jobs, cleans up and exits 130.
/// </summary>
[Collection(DockerProcessCollection.Name)]
public sealed class PipelinerProcessTests(DockerEngineFixture engine) : IDisposable
{
    private const string Pipeline = """
        stages: [main]
        jobs:
          hang:
            stage: main
            image: alpine:3
            services:
              - { name: sidecar, image: "busybox:latest", command: ["sleep", "300"] }
            script: ["echo hanging", "sleep 300"]
          quick:
            stage: main
            image: alpine:3
            script: ["echo quick"]
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly TestRepository _repository = new();
    private readonly TempDirectory _data = new("data");

    public void Dispose()
    {
        _repository.Dispose();
        _data.Dispose();
    }

    [Fact]
    public async Task Run_RemovesLeftoversAndMarksTheRunInterrupted_WhenTheLastPipelinerWasKilled()
    {
        _repository.CommitPipeline(Pipeline);
        using var killed = Start("--job", "hang");
        await WaitForContainersAsync(killed, count: 2);
        // Its first line written (a container running is no proof that its output reached the log yet).
        await WaitForOutputAsync(killed, "hanging");

        killed.KillHard();
        await killed.WaitForExitAsync(Patience);
        Assert.Equal(2, (await engine.ContainersOfProcessAsync(killed.Id)).Count);
        Assert.True(Directory.Exists(Path.Combine(_data.Path, "workspaces", "1")), "the killed run left no workspace to clean");

        using var next = Start("--job", "quick");
        var exit = await next.WaitForExitAsync(Patience);

        Assert.True(exit == 0, $"exit {exit}\n{next.Output}\n{next.Error}");
        Assert.Empty(await engine.ContainersOfProcessAsync(killed.Id));
        Assert.False(Directory.Exists(Path.Combine(_data.Path, "workspaces", "1")), "the killed run's workspace is still there");
        Assert.Contains("pipeliner: note: run 1 never finished (its process died); recorded as interrupted", next.Error);
        var records = new RunRecordStore(new DataLayout(_data.Path));
        var interrupted = records.Load("1")!;
        var hang = interrupted.Jobs.Single(j => j.Id == "hang");
        Assert.Equal(("interrupted", "interrupted"), (interrupted.Status, hang.Status));
        var attempt = hang.Attempts.Single();
        Assert.Equal("interrupted", attempt.Status);
        var log = await File.ReadAllLinesAsync(Path.Combine(_data.Path, attempt.Log));
        Assert.Contains("hanging", string.Join('\n', log));
        Assert.Matches($@"^\S+Z pipeliner: attempt interrupted: the pipeliner process that ran it \(\S+/{killed.Id}/\d+\) ended before it finished$", log[^1]);
        Assert.Equal("succeeded", records.Load("2")!.Status);
    }

    [Fact]
    public async Task Run_StopsJobsCleansUpAndExits130_WhenInterrupted()
    {
        _repository.CommitPipeline(Pipeline);
        using var pipeliner = Start("--job", "hang");
        await WaitForContainersAsync(pipeliner, count: 2);

        pipeliner.Interrupt();
        var exit = await pipeliner.WaitForExitAsync(Patience);

        Assert.True(exit == 130, $"exit {exit}\n{pipeliner.Output}\n{pipeliner.Error}");
        Assert.Contains("pipeliner: interrupted: stopping jobs and cleaning up", pipeliner.Error);
        Assert.DoesNotContain("   at ", pipeliner.Error);
        Assert.Matches(@"\nhang\s+canceled\s+1\s", pipeliner.Output);
        Assert.Contains("run 1: canceled", pipeliner.Output);
        Assert.Empty(await engine.ContainersOfProcessAsync(pipeliner.Id));
        Assert.False(Directory.Exists(Path.Combine(_data.Path, "workspaces", "1")));
    }

    private PipelinerProcess Start(params string[] arguments) =>
        PipelinerProcess.Start(new Dictionary<string, string> { ["DOCKER_HOST"] = engine.Endpoint },
            ["run", "--repo", _repository.Path, "--data", _data.Path, .. arguments]);

    private static async Task WaitForOutputAsync(PipelinerProcess process, string text)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"pipeliner printed no '{text}' within {Patience}\nstdout:\n{process.Output}\nstderr:\n{process.Error}");
            await Task.Delay(100);
        }
    }

    private async Task WaitForContainersAsync(PipelinerProcess process, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((await engine.ContainersOfProcessAsync(process.Id)).Count(c => c.State == "running") < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"pipeliner started no containers within {Patience}\nstdout:\n{process.Output}\nstderr:\n{process.Error}");
            await Task.Delay(100);
        }
    }
}
