using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Syntax.Yaml;

namespace Pipeliner.Core.Tests.Syntax.Yaml;

/// <summary>
/// Compares two <see cref="YamlNode"/> trees by structure: kinds, values, null marks, every position, and which nodes
/// are shared (an alias is the very node of its anchor in both trees).
/// </summary>
internal static class YamlTreeDifference
{
    /// <summary>The first difference, described with its path, or null when the trees are the same.</summary>
    public static string? Find(YamlNode expected, YamlNode actual)
    {
        var pairs = new Dictionary<YamlNode, YamlNode>(ReferenceEqualityComparer.Instance);
        return Compare(expected, actual, "root", pairs);
    }

    private static string? Compare(YamlNode expected, YamlNode actual, string path, Dictionary<YamlNode, YamlNode> pairs)
    {
        if (pairs.TryGetValue(expected, out var paired))
            return ReferenceEquals(paired, actual) ? null : $"{path}: the expected tree shares this node with another place, the actual one does not";
        pairs[expected] = actual;

        if (expected.Location != actual.Location) return $"{path}: at {actual.Location}, expected {expected.Location}";
        switch (expected, actual)
        {
            case (YamlScalar e, YamlScalar a):
                return ScalarDifference(e, a, path);
            case (YamlSequence e, YamlSequence a):
                if (e.Items.Count != a.Items.Count) return $"{path}: {a.Items.Count} items, expected {e.Items.Count}";
                for (var i = 0; i < e.Items.Count; i++)
                {
                    var difference = Compare(e.Items[i], a.Items[i], $"{path}[{i}]", pairs);
                    if (difference is not null) return difference;
                }

                return null;
            case (YamlMapping e, YamlMapping a):
                if (e.Entries.Count != a.Entries.Count) return $"{path}: {a.Entries.Count} entries, expected {e.Entries.Count}";
                for (var i = 0; i < e.Entries.Count; i++)
                {
                    var keyPath = $"{path}.{e.Entries[i].Key.Value}";
                    var difference = ScalarDifference(e.Entries[i].Key, a.Entries[i].Key, keyPath + " (key)")
                                     ?? Compare(e.Entries[i].Value, a.Entries[i].Value, keyPath, pairs);
                    if (difference is not null) return difference;
                }

                return null;
            default:
                return $"{path}: {actual.KindName}, expected {expected.KindName}";
        }
    }

    private static string? ScalarDifference(YamlScalar expected, YamlScalar actual, string path)
    {
        if (expected.Location != actual.Location) return $"{path}: at {actual.Location}, expected {expected.Location}";
        if (expected.Value != actual.Value) return $"{path}: value {Show(actual.Value)}, expected {Show(expected.Value)}";
        if (expected.IsNull != actual.IsNull) return $"{path}: IsNull {actual.IsNull}, expected {expected.IsNull}";
        return null;
    }

    private static string Show(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
            .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";

    /// <summary>What the fast reader did with a text compared with YamlDotNet's reading of it.</summary>
    public enum Outcome
    {
        SameTree,
        Declined,
    }

    /// <summary>
    /// Reads the text with both readers and fails unless the fast reader declined it or built exactly YamlDotNet's
    /// tree (which then must have come without any diagnostic: the fast reader declines every error).
    /// </summary>
    public static Outcome AssertSameTreeOrDeclined(string text)
    {
        var fast = FastYamlReader.TryRead(text, out _);
        var diagnostics = new DiagnosticBag();
        var reference = YamlTreeLoader.LoadWithYamlDotNet(text, diagnostics);
        if (fast is null) return Outcome.Declined;

        var errors = diagnostics.ToSortedList();
        Assert.True(errors.Count == 0 && reference is not null,
            $"the fast reader built a tree where YamlDotNet reports: {string.Join("; ", errors)}\n--- text ---\n{text}");
        var difference = Find(reference!, fast);
        Assert.True(difference is null, $"{difference}\n--- text ---\n{text}");
        return Outcome.SameTree;
    }
}
