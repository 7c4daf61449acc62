using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Tests.TestDoubles;

/// <summary>
/// A real backend whose workflow destruction waits for <see cref="ReleaseCleanup"/> (and then fails when told to): shows
/// what happens while, and after, an attempt's clean-up is behind its slot, without waiting on a clock.
/// </summary>
internal sealed class HeldCleanupBackend(IExecutionBackend inner) : IExecutionBackend
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Thrown by every workflow destruction once released, after the inner backend removed nothing.</summary>
    public Exception? CleanupFault { get; init; }

    public string Name => inner.Name;

    public bool FetchesWorkspace => inner.FetchesWorkspace;

    public void ReleaseCleanup() => _release.TrySetResult();

    public Task CheckAvailableAsync(CancellationToken cancellationToken) => inner.CheckAvailableAsync(cancellationToken);

    public Task RemoveOrphansAsync(CancellationToken cancellationToken) => inner.RemoveOrphansAsync(cancellationToken);

    public Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken) => inner.SetupWorkflowAsync(workflow, cancellationToken);

    public Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) =>
        inner.StartStepAsync(workflow, step, cancellationToken);

    public Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) =>
        inner.TailStepAsync(workflow, step, cancellationToken);

    public Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken) =>
        inner.WaitStepAsync(workflow, step, cancellationToken);

    public Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken) =>
        inner.CopyFromStepAsync(workflow, step, path, cancellationToken);

    public async Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken)
    {
        await _release.Task.WaitAsync(cancellationToken);
        if (CleanupFault is not null) throw CleanupFault;
        await inner.DestroyStepAsync(workflow, step, cancellationToken);
    }

    public async Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken)
    {
        await _release.Task.WaitAsync(cancellationToken);
        if (CleanupFault is not null) throw CleanupFault;
        await inner.DestroyWorkflowAsync(workflow, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
