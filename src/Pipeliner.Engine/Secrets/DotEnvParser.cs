using System.Text;

namespace Pipeliner.Engine.Secrets;

/// <summary>
/// Reads dotenv text: <c>NAME=value</c> lines, optional <c>export</c>, <c>#</c> comments, single quotes
/// (literal) and double quotes (with <c>\n</c>, <c>\"</c>, <c>\\</c> escapes and real newlines for multi-line values).
/// </summary>
public static class DotEnvParser
{
    public static Dictionary<string, string> Parse(string text, string fileName)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            // Not trimmed at the end: the first line of a multi-line quoted value keeps its trailing spaces.
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? line[..equals].Trim() : "";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
                throw new FormatException($"{fileName}:{i + 1}: expected NAME=value");

            var value = line[(equals + 1)..].TrimStart();
            var lineNumber = i + 1;
            values[name] = value.StartsWith('"') ? ReadDoubleQuoted(value, lines, ref i, fileName, lineNumber)
                : value.StartsWith('\'') ? ReadSingleQuoted(value, fileName, lineNumber)
                : StripComment(value);
        }

        return values;
    }

    private static string ReadSingleQuoted(string value, string fileName, int lineNumber)
    {
        var end = value.IndexOf('\'', 1);
        return end > 0 ? value[1..end] : throw new FormatException($"{fileName}:{lineNumber}: the ' quote is never closed");
    }

    private static string ReadDoubleQuoted(string value, string[] lines, ref int index, string fileName, int lineNumber)
    {
        var result = new StringBuilder();
        var text = value[1..];
        while (true)
        {
            for (var j = 0; j < text.Length; j++)
            {
                var c = text[j];
                if (c == '"') return result.ToString();
                if (c == '\\' && j + 1 < text.Length)
                {
                    var next = text[++j];
                    result.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => next });
                    continue;
                }

                result.Append(c);
            }

            if (++index >= lines.Length) throw new FormatException($"{fileName}:{lineNumber}: the \" quote is never closed");
            result.Append('\n');
            text = lines[index];
        }
    }

    private static string StripComment(string value)
    {
        var comment = value.IndexOf(" #", StringComparison.Ordinal);
        return (comment >= 0 ? value[..comment] : value).TrimEnd();
    }
}
