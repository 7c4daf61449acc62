using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Backends.Docker;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Backends.Docker;

/// <summary>The Docker backend's own contract on the real engine: labels, idempotent clean-up, orphans.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerBackendTests(DockerEngineFixture engine) : IDisposable
{
    private readonly TempDirectory _workspace = new("workspace");

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task StartStepAsync_LabelsContainerWithOwnerRunJobAndStep_WhenStepStarts()
    {
        await using var backend = new DockerBackend(engine.Endpoint);
        var workflow = Workflow();

        await backend.StartStepAsync(workflow, workflow.Steps[0], CancellationToken.None);
        try
        {
            var container = Assert.Single(await engine.ContainersOfRunAsync(workflow.RunId));
            Assert.Equal(OwnerIdentity.Current.ToString(), container.Labels["io.pipeliner.owner"]);
            Assert.Equal("true", container.Labels["io.pipeliner.managed"]);
            Assert.Equal(workflow.JobId, container.Labels["io.pipeliner.job"]);
            Assert.Equal(workflow.Id, container.Labels["io.pipeliner.workflow"]);
            Assert.Equal("script", container.Labels["io.pipeliner.step"]);
        }
        finally
        {
            await backend.DestroyWorkflowAsync(workflow, CancellationToken.None);
        }
    }

    [Fact]
    public async Task DestroyStepAndWorkflow_Succeed_WhenCalledTwiceOrForStepsNeverStarted()
    {
        await using var backend = new DockerBackend(engine.Endpoint);
        var workflow = Workflow();
        await backend.SetupWorkflowAsync(workflow, CancellationToken.None);
        await backend.StartStepAsync(workflow, workflow.Steps[0], CancellationToken.None);
        await backend.StartStepAsync(workflow, workflow.Steps[0], CancellationToken.None);

        for (var i = 0; i < 2; i++)
        {
            await backend.DestroyStepAsync(workflow, workflow.Steps[0], CancellationToken.None);
            await backend.DestroyWorkflowAsync(workflow, CancellationToken.None);
        }

        Assert.Empty(await engine.ContainersOfRunAsync(workflow.RunId));
        await backend.DestroyWorkflowAsync(Workflow(), CancellationToken.None);
    }

    [Fact]
    public async Task DestroyWorkflowAsync_RemovesContainerByLabel_WhenThisBackendLostTrackOfIt()
    {
        var workflow = Workflow();
        await using (var crashed = new DockerBackend(engine.Endpoint))
        {
            await crashed.StartStepAsync(workflow, workflow.Steps[0], CancellationToken.None);
        }

        await using var fresh = new DockerBackend(engine.Endpoint);
        await fresh.DestroyWorkflowAsync(workflow, CancellationToken.None);

        Assert.Empty(await engine.ContainersOfRunAsync(workflow.RunId));
    }

    [Fact]
    public async Task RemoveOrphansAsync_RemovesOnlyContainersOfDeadOwners_WhenSeveralOwnersHaveContainers()
    {
        var dead = OwnerIdentity.Current with { StartTicks = OwnerIdentity.Current.StartTicks - 100 };
        var elsewhere = new OwnerIdentity("another-host", 1, 1);
        var (orphan, foreign, mine) = (Workflow(), Workflow(), Workflow());
        await using var deadBackend = new DockerBackend(engine.Endpoint, dead);
        await using var foreignBackend = new DockerBackend(engine.Endpoint, elsewhere);
        await using var backend = new DockerBackend(engine.Endpoint);
        await StartOrphanAsync(deadBackend, orphan);
        await foreignBackend.StartStepAsync(foreign, foreign.Steps[0], CancellationToken.None);
        await backend.StartStepAsync(mine, mine.Steps[0], CancellationToken.None);
        try
        {
            await backend.RemoveOrphansAsync(CancellationToken.None);

            Assert.Empty(await engine.ContainersOfRunAsync(orphan.RunId));
            Assert.Single(await engine.ContainersOfRunAsync(foreign.RunId));
            Assert.Single(await engine.ContainersOfRunAsync(mine.RunId));
        }
        finally
        {
            await foreignBackend.DestroyWorkflowAsync(foreign, CancellationToken.None);
            await backend.DestroyWorkflowAsync(mine, CancellationToken.None);
        }
    }

    /// <summary>
    /// Any process on this machine that sweeps orphans (a server or agent of a test project running beside this one) may
    /// remove a dead owner's container first, even between its create and its start: then it is gone already.
    /// </summary>
    private static async Task StartOrphanAsync(DockerBackend deadBackend, WorkflowSpec orphan)
    {
        try
        {
            await deadBackend.StartStepAsync(orphan, orphan.Steps[0], CancellationToken.None);
        }
        catch (global::Docker.DotNet.DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
        }
    }

    [Fact]
    public async Task CheckAvailableAsync_ThrowsOneLineSayingWhereAndWhatToDo_WhenNoEngineAnswers()
    {
        await using var backend = new DockerBackend("unix:///tmp/pipeliner-tests-no-engine.sock");

        var error = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CheckAvailableAsync(CancellationToken.None));

        Assert.StartsWith("no Docker engine answers at unix:///tmp/pipeliner-tests-no-engine.sock: the socket does not exist; start one", error.Message);
        Assert.Contains("docker-engine.sh start", error.Message);
        Assert.EndsWith("or run jobs without containers, unisolated, with the shell backend", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task CheckAvailableAsync_Succeeds_WhenEngineAnswers()
    {
        await using var backend = new DockerBackend(engine.Endpoint);

        await backend.CheckAvailableAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("alpine:3", "alpine", "3")]
    [InlineData("alpine", "alpine", "latest")]
    [InlineData("registry:5000/team/app", "registry:5000/team/app", "latest")]
    [InlineData("registry:5000/team/app:1.2", "registry:5000/team/app", "1.2")]
    [InlineData("app@sha256:0123", "app@sha256:0123", null)]
    public void SplitReference_SeparatesRepositoryAndTag_WhenGivenAnImageReference(string image, string repository, string? tag)
    {
        Assert.Equal((repository, tag), DockerBackend.SplitReference(image));
    }

    [Fact]
    public async Task WaitStepAsync_ReportsCpuTimeAndPeakMemory_WhenTheStepKeepsACoreBusy()
    {
        await using var backend = new DockerBackend(engine.Endpoint);
        // Two seconds of a busy shell loop: several samples, each with the container's CPU time so far.
        var workflow = Workflow(["sh", "-c", "end=$(( $(date +%s) + 3 )); while [ $(date +%s) -lt $end ]; do :; done"]);
        await backend.SetupWorkflowAsync(workflow, CancellationToken.None);
        try
        {
            await backend.StartStepAsync(workflow, workflow.Steps[0], CancellationToken.None);
            var exit = await backend.WaitStepAsync(workflow, workflow.Steps[0], CancellationToken.None);

            Assert.Equal(0, exit.ExitCode);
            Assert.True(exit.PeakMemoryBytes > 0, "no peak memory sampled");
            // At least one sample a second after the start; the loop keeps a core busy (less on a loaded machine).
            Assert.InRange(exit.CpuTimeMs ?? 0, 100, 10_000);
        }
        finally
        {
            await backend.DestroyWorkflowAsync(workflow, CancellationToken.None);
        }
    }

    private WorkflowSpec Workflow(string[]? command = null)
    {
        var runId = Plans.NewRunId();
        return new WorkflowSpec($"{runId}-job-1", runId, "job", _workspace.Path,
        [
            new StepSpec { Name = "script", Kind = StepKind.Script, Image = DockerEngineFixture.Image, Command = command ?? ["sleep", "300"] },
        ]);
    }
}
