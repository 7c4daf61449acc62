using System.Globalization;
using System.Text.Json;
using Pipeliner.Core.Model;

namespace Pipeliner.Server.Retention;

/// <summary>
/// Reads the body of <c>PUT /api/projects/{project}/retention</c> field by field, so that every problem is named
/// precisely (the field, what it must be, what it was) and all of them are reported at once. A field left out, like
/// one set to null, is no limit; <c>artifacts</c> and <c>caches</c> left out follow the top-level limits and the
/// server's default respectively.
/// </summary>
public static class RetentionRequest
{
    public const int MaxKeepLastPerBranch = 1_000_000;
    public const int MaxAgeDays = 36_500;

    private static readonly string[] LimitFields = ["keepLastPerBranch", "maxAgeDays", "maxSize"];
    private static readonly string[] TopFields = [.. LimitFields, "artifacts", "caches"];

    public const string Example = """{"keepLastPerBranch": 20, "maxAgeDays": 30}""";

    /// <summary>The policy, or the problems (one sentence each).</summary>
    public static (ProjectRetention? Policy, List<string> Problems) Parse(JsonElement body)
    {
        var problems = new List<string>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"the body is a JSON object, e.g. {Example}; it was {Describe(body)}");
            return (null, problems);
        }

        Unknown(body, "", TopFields, problems);
        var top = Limits(body, "", problems);
        var artifacts = Nested(body, "artifacts", problems);
        var caches = Nested(body, "caches", problems);
        return problems.Count > 0 ? (null, problems) : (new ProjectRetention(top.KeepLastPerBranch, top.MaxAgeDays, top.MaxSize, artifacts, caches), problems);
    }

    private static RetentionLimitsJson? Nested(JsonElement body, string name, List<string> problems)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{name}: an object with keepLastPerBranch, maxAgeDays and maxSize (each null for no limit), or null to follow " +
                         $"{(name == "caches" ? "the server's default" : "the top-level limits")}; it was {Describe(value)}");
            return null;
        }

        Unknown(value, name + ".", LimitFields, problems);
        return Limits(value, name + ".", problems);
    }

    private static RetentionLimitsJson Limits(JsonElement json, string prefix, List<string> problems) => new(
        Whole(json, prefix, "keepLastPerBranch", MaxKeepLastPerBranch, "a whole number of runs", problems),
        Whole(json, prefix, "maxAgeDays", MaxAgeDays, "a whole number of days", problems),
        Size(json, prefix, problems));

    private static int? Whole(JsonElement json, string prefix, string name, int max, string what, List<string> problems)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 1 && number <= max) return number;
        problems.Add(string.Create(CultureInfo.InvariantCulture,
            $"{prefix}{name}: {what} from 1 to {max}, or null for no limit; it was {Describe(value)}"));
        return null;
    }

    private static string? Size(JsonElement json, string prefix, List<string> problems)
    {
        if (!json.TryGetProperty("maxSize", out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            problems.Add($"{prefix}maxSize: a size like \"20Gi\" or \"500Mi\" (a string), or null for no limit; it was {Describe(value)}");
            return null;
        }

        if (!ByteSize.TryParse(value.GetString()!, out var size, out var error))
        {
            problems.Add($"{prefix}maxSize: {error}");
            return null;
        }

        if (size.Bytes >= 1L << 20) return value.GetString()!.Trim();
        problems.Add($"{prefix}maxSize: at least 1Mi, or null for no limit; it was {Describe(value)}");
        return null;
    }

    private static void Unknown(JsonElement json, string prefix, string[] known, List<string> problems)
    {
        foreach (var property in json.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                problems.Add($"{prefix}{property.Name}: not a retention setting (they are {string.Join(", ", known)})");
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"\"{value.GetString()}\"",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => value.GetRawText(),
    };
}
