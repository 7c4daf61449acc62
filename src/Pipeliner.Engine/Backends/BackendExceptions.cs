namespace Pipeliner.Engine.Backends;

/// <summary>The backend cannot be used at all (no engine, no permission). The message is one line for the user.</summary>
public sealed class BackendUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A step could not start for a reason in the job's own hands (e.g. its image cannot be found).</summary>
public sealed class StepStartException(string message, Exception? inner = null) : Exception(message, inner);
