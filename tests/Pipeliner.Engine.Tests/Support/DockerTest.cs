using Pipeliner.Core.Runs;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>A test running pipelines on the real engine: a harness per test, and the "no leftovers" check.</summary>
public abstract class DockerTest(DockerEngineFixture engine) : IAsyncLifetime
{
    internal PipelineHarness Harness { get; } = PipelineHarness.OnDocker(engine);

    protected DockerEngineFixture Engine => engine;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Harness.DisposeAsync();

    protected async Task AssertNoContainersLeftAsync(Run run) => Assert.Empty(await engine.ContainersOfRunAsync(run.Id));

    /// <summary>Waits until the run has a running container, e.g. before cancelling it.</summary>
    protected async Task WaitForRunningContainerAsync(string runId, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!(await engine.ContainersOfRunAsync(runId)).Any(c => c.State == "running"))
            await Task.Delay(100, deadline.Token);
    }
}
