namespace Pipeliner.Core.Diagnostics;

/// <summary>
/// The dotted path of a key in messages ("jobs.build.image"), joined only when a message is written: nearly every
/// value is fine, and joining each path up front was a large share of what loading a pipeline allocated.
/// </summary>
internal readonly struct NodePath(string parent, string? key = null)
{
    public static implicit operator NodePath(string path) => new(path);

    /// <summary>The path of a key below this one.</summary>
    public NodePath Child(string childKey) => new(ToString(), childKey);

    public override string ToString() => key is null ? parent : $"{parent}.{key}";
}
