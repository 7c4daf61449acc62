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
    private readonly string _regexSource;
    private Regex? _regex;

    private GlobPattern(string pattern, string regexSource)
    {
        Pattern = pattern;
        _regexSource = regexSource;
    }

    public string Pattern { get; }

    public bool IsMatch(string value)
    {
        _regex ??= new Regex(_regexSource, RegexOptions.CultureInvariant | RegexOptions.Singleline);
        return _regex.IsMatch(value);
    }

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

        return new GlobPattern(pattern, regex.Append('$').ToString());
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
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == ']') inClass = false;
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
            regex.Append(c is '\\' or '^' or '[' or ']' ? "\\" + c : c.ToString());
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
