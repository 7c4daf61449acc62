using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Syntax.Yaml;

/// <summary>A YAML node with the position where it starts, aliases already resolved.</summary>
public abstract record YamlNode(SourceLocation Location)
{
    /// <summary>How the node's kind is named in messages: "a mapping", "a list", "a value".</summary>
    public abstract string KindName { get; }
}

public sealed record YamlScalar(string Value, bool IsNull, SourceLocation Location) : YamlNode(Location)
{
    public override string KindName => IsNull ? "nothing" : "a value";
}

public sealed record YamlSequence(IReadOnlyList<YamlNode> Items, SourceLocation Location) : YamlNode(Location)
{
    public override string KindName => "a list";
}

public sealed record YamlMapping(IReadOnlyList<YamlEntry> Entries, SourceLocation Location) : YamlNode(Location)
{
    public override string KindName => "a mapping";
}

public sealed record YamlEntry(YamlScalar Key, YamlNode Value);
