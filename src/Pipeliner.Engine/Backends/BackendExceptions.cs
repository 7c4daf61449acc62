namespace Pipeliner.Engine.Backends;

/// <summary>The backend cannot be used at all (no engine, no permission). The message is one line for the user.</summary>
public sealed class BackendUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A step could not start for a reason in the job's own hands (e.g. its image cannot be found).</summary>
public sealed class StepStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The backend stopped the step because the job's time ran out on its side (Kubernetes: the Pod's deadline).</summary>
public sealed class StepDeadlineExceededException(string message) : Exception(message);

/// <summary>
/// The backend stopped the job because it outgrew a ceiling the backend enforces (Kubernetes: the kubelet evicted the
/// Pod for its workspace). <see cref="Exception.Message"/> is the job's failure; <see cref="Detail"/> what the backend said.
/// </summary>
public sealed class StepLimitExceededException(string message, string detail) : Exception(message)
{
    public string Detail { get; } = detail;
}
