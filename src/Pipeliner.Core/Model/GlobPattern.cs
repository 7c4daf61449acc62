namespace Pipeliner.Core.Model;

/// <summary>
/// A path or ref glob: <c>*</c> and <c>?</c> stay within one path segment, <c>**</c> (a whole segment)
/// crosses segments, <c>[abc]</c>/<c>[!abc]</c> are character classes and <c>{a,b}</c> alternatives.
/// A pattern ending in <c>/</c> matches everything below that directory.
/// Matching never backtracks more than once per star, so no pattern can make it slow (no regular expressions).
/// </summary>
public sealed class GlobPattern
{
    private const int MaxAlternatives = 256;
    private readonly IReadOnlyList<GlobSegment[]> _alternatives;

    private GlobPattern(string pattern, IReadOnlyList<GlobSegment[]> alternatives)
    {
        Pattern = pattern;
        _alternatives = alternatives;
    }

    public string Pattern { get; }

    public bool IsMatch(string value)
    {
        var segments = value.Split('/');
        foreach (var alternative in _alternatives)
        {
            if (GlobSegment.MatchPath(alternative, segments)) return true;
        }

        return false;
    }

    public override string ToString() => Pattern;

    /// <summary>Parses a glob; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static GlobPattern? TryParse(string pattern, out string? error)
    {
        error = Validate(pattern);
        if (error is not null) return null;
        var expanded = GlobBraces.Expand(pattern, MaxAlternatives);
        if (expanded is null)
        {
            error = $"invalid glob '{pattern}': its '{{...}}' alternatives make more than {MaxAlternatives} patterns";
            return null;
        }

        var alternatives = new List<GlobSegment[]>(expanded.Count);
        foreach (var alternative in expanded)
        {
            var source = alternative.EndsWith('/') ? alternative + "**" : alternative;
            var segments = new List<GlobSegment>();
            foreach (var text in source.Split('/'))
            {
                var segment = GlobSegment.Parse(text, out var segmentError);
                if (segment is null)
                {
                    error = $"invalid glob '{pattern}': {segmentError}";
                    return null;
                }

                segments.Add(segment);
            }

            alternatives.Add([.. segments]);
        }

        return new GlobPattern(pattern, alternatives);
    }

    private static string? Validate(string pattern)
    {
        if (pattern.Length == 0) return "a glob must not be empty";
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                if (i == pattern.Length - 1) return $"invalid glob '{pattern}': it ends with an escape '\\'";
                if (pattern[++i] == '/') return SlashInside(pattern);
                continue;
            }

            if (inClass)
            {
                if (c == ']') inClass = false;
                if (c == '/') return SlashInside(pattern);
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    if (i + 1 < pattern.Length && pattern[i + 1] is '!' or '^') i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == ']') i++; // "[]]" is a class holding ']'
                    break;
                case '{':
                    if (depth > 0) return $"invalid glob '{pattern}': nested '{{' is not supported";
                    depth++;
                    break;
                case '}':
                    if (depth == 0) return $"invalid glob '{pattern}': '}}' without '{{'";
                    depth--;
                    break;
                case '/' when depth > 0:
                    return $"invalid glob '{pattern}': alternatives in '{{...}}' cannot contain '/'";
            }
        }

        if (inClass) return $"invalid glob '{pattern}': '[' is never closed";
        if (depth > 0) return $"invalid glob '{pattern}': '{{' is never closed";
        foreach (var segment in pattern.TrimEnd('/').Split('/'))
        {
            if (segment.Contains("**", StringComparison.Ordinal) && segment != "**")
                return $"invalid glob '{pattern}': '**' must be a whole path segment, as in 'src/**/test'";
        }

        return null;
    }

    // Patterns are cut into segments at every '/', so a '/' cannot be escaped or sit inside a class.
    private static string SlashInside(string pattern) =>
        $"invalid glob '{pattern}': '/' separates path segments; it cannot be escaped or written inside '[...]'";
}
