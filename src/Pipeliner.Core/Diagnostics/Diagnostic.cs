namespace Pipeliner.Core.Diagnostics;

/// <summary>One problem found in a pipeline file, at the key or value that causes it.</summary>
public sealed record Diagnostic(SourceLocation Location, string Message)
{
    public override string ToString() => $"{Location}: error: {Message}";
}
