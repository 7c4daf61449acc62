using System.Text;

namespace Pipeliner.Core.Model;

/// <summary>Expands a glob's <c>{a,b}</c> groups into plain globs (escapes and character classes are left alone).</summary>
internal static class GlobBraces
{
    /// <returns>Every combination, or null when there would be more than <paramref name="limit"/>.</returns>
    public static List<string>? Expand(string pattern, int limit)
    {
        var results = new List<string> { "" };
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                Append(results, pattern.Substring(i, 2));
                i++;
            }
            else if (c == '[')
            {
                var end = ClassEnd(pattern, i);
                Append(results, pattern[i..(end + 1)]);
                i = end;
            }
            else if (c == '{')
            {
                var end = pattern.IndexOf('}', i);
                var options = SplitOptions(pattern[(i + 1)..end]);
                if ((long)results.Count * options.Count > limit) return null;
                results = results.SelectMany(prefix => options.Select(option => prefix + option)).ToList();
                i = end;
            }
            else
            {
                Append(results, c.ToString());
            }
        }

        return results;
    }

    private static void Append(List<string> results, string text)
    {
        for (var i = 0; i < results.Count; i++) results[i] += text;
    }

    /// <summary>The index of the ']' closing the class that starts at <paramref name="start"/>.</summary>
    internal static int ClassEnd(string pattern, int start)
    {
        var i = start + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length && pattern[i] != ']'; i++)
        {
            if (pattern[i] == '\\') i++;
        }

        return i;
    }

    /// <summary>The comma-separated options of a group; an escaped comma stays inside its option.</summary>
    private static List<string> SplitOptions(string group)
    {
        var options = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < group.Length; i++)
        {
            if (group[i] == '\\' && i + 1 < group.Length)
            {
                current.Append(group, i, 2);
                i++;
            }
            else if (group[i] == ',')
            {
                options.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(group[i]);
            }
        }

        options.Add(current.ToString());
        return options;
    }
}
