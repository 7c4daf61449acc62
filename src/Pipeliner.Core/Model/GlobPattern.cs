using System.Text;
using System.Text.RegularExpressions;

namespace Pipeliner.Core.Model;

/// <summary>
/// A path or ref glob: <c>*</c> and <c>?</c> stay within one path segment, <c>**</c> (a whole segment)
/// crosses segments, <c>[abc]</c>/<c>[!abc]</c> are character classes and <c>{a,b}</c> alternatives.
/// A pattern ending in <c>/</c> matches everything below that directory.
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    private GlobPattern(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    public string Pattern { get; }

    public bool IsMatch(string value) => _regex.IsMatch(value);

    public override string ToString() => Pattern;

    /// <summary>Parses a glob; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static GlobPattern? TryParse(string pattern, out string? error)
    {
        error = Validate(pattern);
        if (error is not null) return null;
        var source = pattern.EndsWith('/') ? pattern + "**" : pattern;
        var regex = new StringBuilder("^");
        var segments = source.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var isLast = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                // "a/**/b" also matches "a/b"; a trailing "**" matches the directory itself and all below.
                regex.Append(isLast ? (i == 0 ? ".*" : "(?:/.*)?") : (i == 0 ? "(?:.*/)?" : "(?:/.*)?/"));
                continue;
            }

            if (i > 0 && segments[i - 1] != "**") regex.Append('/');
            AppendSegment(regex, segments[i]);
        }

        try
        {
            var compiled = new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
            return new GlobPattern(pattern, compiled);
        }
        catch (RegexParseException e)
        {
            // What the checks above leave to the regex engine, such as a range written backwards: "[z-a]".
            error = e.Error == RegexParseError.ReversedCharacterRange
                ? $"invalid glob '{pattern}': a range in '[...]' runs backwards"
                : $"invalid glob '{pattern}': {e.Error}";
            return null;
        }
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

    private static void AppendSegment(StringBuilder regex, string segment)
    {
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '\\':
                    regex.Append(Regex.Escape(segment[++i].ToString()));
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    i = AppendClass(regex, segment, i);
                    break;
                case '{':
                    regex.Append("(?:");
                    break;
                case '}':
                    regex.Append(')');
                    break;
                case ',' when IsInsideBraces(segment, i):
                    regex.Append('|');
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
    }

    private static int AppendClass(StringBuilder regex, string segment, int start)
    {
        var i = start + 1;
        regex.Append('[');
        if (segment[i] is '!' or '^')
        {
            regex.Append('^');
            i++;
        }

        var first = true;
        for (; segment[i] != ']' || first; i++, first = false)
        {
            var c = segment[i];
            var escaped = c == '\\';
            if (escaped) c = segment[++i];
            // An escaped letter or digit is itself (in a regex, \d would be a class); other escaped characters stay literal.
            var literal = escaped ? !char.IsLetterOrDigit(c) : c is '^' or '[' or ']';
            regex.Append(literal ? "\\" + c : c.ToString());
        }

        regex.Append(']');
        return i;
    }

    private static bool IsInsideBraces(string segment, int index)
    {
        var open = segment.LastIndexOf('{', index);
        return open >= 0 && segment.IndexOf('}', open) > index && segment.LastIndexOf('}', index) < open;
    }
}
