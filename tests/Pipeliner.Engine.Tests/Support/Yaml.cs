namespace Pipeliner.Engine.Tests.Support;

internal static class Yaml
{
    /// <summary>A double-quoted YAML scalar holding <paramref name="text"/> exactly.</summary>
    public static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
