namespace Pipeliner.Engine.Workspaces;

/// <summary>The repository or a checkout cannot be had: an infrastructure fault with a message for the user.</summary>
public sealed class WorkspaceException(string message, Exception? inner = null) : Exception(message, inner);
