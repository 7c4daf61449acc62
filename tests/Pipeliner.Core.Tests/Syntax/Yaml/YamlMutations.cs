using System.Text;

namespace Pipeliner.Core.Tests.Syntax.Yaml;

/// <summary>Small random edits of YAML text, biased towards the characters and layouts where YAML is subtle.</summary>
internal static class YamlMutations
{
    private static readonly string[] Insertions =
    [
        " ", "  ", ":", ": ", "-", "- ", "#", " #", "'", "\"", "[", "]", "{", "}", ",", "&a ", "*a", "|", ">", "|-",
        ">+", "\n", "\r\n", "\t", "\\", "?", "!", "%", "@", "`", "~", "---", "...", "é", "😀", "x", "1", "\n\n",
        "\\n", "\\u00e9", "''", "<<: *a\n",
    ];

    /// <summary>One to three edits: an insertion, a deletion, a swap, or a line duplicated, removed or re-indented.</summary>
    public static string Apply(string text, Random random)
    {
        var result = new StringBuilder(text);
        var edits = random.Next(1, 4);
        for (var i = 0; i < edits; i++) Edit(result, random);
        return result.ToString();
    }

    private static void Edit(StringBuilder text, Random random)
    {
        var at = text.Length == 0 ? 0 : random.Next(text.Length);
        switch (random.Next(7))
        {
            case 0 or 1:
                text.Insert(at, Insertions[random.Next(Insertions.Length)]);
                break;
            case 2:
                if (text.Length > 0) text.Remove(at, Math.Min(random.Next(1, 4), text.Length - at));
                break;
            case 3:
                if (at + 1 < text.Length) (text[at], text[at + 1]) = (text[at + 1], text[at]);
                break;
            default:
                EditLine(text, at, random);
                break;
        }
    }

    private static void EditLine(StringBuilder text, int at, Random random)
    {
        var content = text.ToString();
        var start = at == 0 ? 0 : content.LastIndexOf('\n', at - 1) + 1;
        var end = content.IndexOf('\n', at);
        end = end < 0 ? content.Length : end + 1;
        var line = content[start..end];
        switch (random.Next(4))
        {
            case 0:
                text.Insert(end, line.EndsWith('\n') ? line : "\n" + line);
                break;
            case 1:
                text.Remove(start, end - start);
                break;
            case 2:
                text.Insert(start, new string(' ', random.Next(1, 4)));
                break;
            default:
                var spaces = 0;
                while (spaces < line.Length && line[spaces] == ' ' && spaces < 3) spaces++;
                text.Remove(start, spaces);
                break;
        }
    }
}
