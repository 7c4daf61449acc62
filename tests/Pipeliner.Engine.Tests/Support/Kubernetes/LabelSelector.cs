namespace Pipeliner.Engine.Tests.Support.Kubernetes;

/// <summary>The equality forms of a label selector (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, comma-separated), as the API server applies them.</summary>
internal static class LabelSelector
{
    public static bool Matches(string selector, IDictionary<string, string>? labels)
    {
        foreach (var requirement in selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var negated = requirement.Contains("!=", StringComparison.Ordinal);
            var parts = requirement.Split(negated ? "!=" : requirement.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (parts.Length != 2) throw new NotSupportedException($"this fake does not understand the selector '{requirement}'");
            var has = labels is not null && labels.TryGetValue(parts[0], out var value) && value == parts[1];
            if (has == negated) return false;
        }

        return true;
    }
}
