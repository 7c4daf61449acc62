namespace Pipeliner.Cli;

/// <summary>A mistake in how the command was called, reported in one line with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
