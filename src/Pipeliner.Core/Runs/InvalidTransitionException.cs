namespace Pipeliner.Core.Runs;

/// <summary>A move the run/job life cycle does not allow: a bug in the caller, never user input.</summary>
public sealed class InvalidTransitionException(string message) : InvalidOperationException(message);
