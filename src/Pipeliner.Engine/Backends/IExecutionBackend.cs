namespace Pipeliner.Engine.Backends;

/// <summary>
/// Where job steps run. One job attempt is a workflow: set it up, start its steps (services first, then the
/// script), tail and wait for them, destroy each step, destroy the workflow. Every method is idempotent, so
/// cleanup can call destroy for whatever exists without tracking what was created.
/// </summary>
public interface IExecutionBackend : IAsyncDisposable
{
    /// <summary>"docker", "shell" or "kubernetes".</summary>
    string Name { get; }

    /// <summary>
    /// True when the backend fills the workspace itself from <see cref="WorkflowSpec.Fetch"/> (Kubernetes); false when
    /// it runs steps in the host directory <see cref="WorkflowSpec.WorkspacePath"/>, which the job runner prepares.
    /// </summary>
    bool FetchesWorkspace => false;

    /// <summary>Throws <see cref="BackendUnavailableException"/> (one line: where it looked, what to do) when unusable.</summary>
    Task CheckAvailableAsync(CancellationToken cancellationToken);

    /// <summary>Removes what earlier processes left behind when they died without cleaning up.</summary>
    Task RemoveOrphansAsync(CancellationToken cancellationToken);

    Task SetupWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken);

    /// <summary>Starts a step; fails with <see cref="StepStartException"/> for problems the job owner must fix (image).</summary>
    Task StartStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken);

    /// <summary>The step's combined output from its start; the stream ends when the step ends.</summary>
    Task<Stream> TailStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken);

    Task<StepExit> WaitStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken);

    /// <summary>A tar of <paramref name="path"/> (relative to the workspace) from the finished step, or null when absent.</summary>
    Task<Stream?> CopyFromStepAsync(WorkflowSpec workflow, StepSpec step, string path, CancellationToken cancellationToken);

    /// <summary>Stops the step if it runs and removes it.</summary>
    Task DestroyStepAsync(WorkflowSpec workflow, StepSpec step, CancellationToken cancellationToken);

    Task DestroyWorkflowAsync(WorkflowSpec workflow, CancellationToken cancellationToken);
}
