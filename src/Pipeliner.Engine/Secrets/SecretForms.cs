using System.Text;

namespace Pipeliner.Engine.Secrets;

/// <summary>
/// The byte strings that give a secret away in a job's output, as they look once terminal escape sequences,
/// carriage returns and line breaks are left out (<see cref="TerminalText"/>; lines are joined to find values a job
/// printed across lines): the value; its base64 text at each of the three byte alignments, which wrapped at 76
/// columns (what <c>base64</c> prints) joins back into one run; and for a value of several lines, each line and the
/// lines joined.
/// </summary>
internal static class SecretForms
{
    /// <summary>Parts of multi-line secrets shorter than this are not masked on their own: they would mask ordinary text.</summary>
    public const int MinimumLinePartLength = 3;

    /// <summary>Shorter base64 cores are too likely to occur by chance in ordinary output.</summary>
    public const int MinimumBase64Length = 6;

    /// <summary>Every form of every value, longest first, without duplicates.</summary>
    public static byte[][] Of(IEnumerable<string> secretValues)
    {
        var forms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in secretValues.Where(v => v.Length > 0))
        {
            forms.UnionWith(Base64Forms(Encoding.UTF8.GetBytes(value)));
            var lines = value.Split('\n').Select(l => l.Replace("\r", "", StringComparison.Ordinal)).ToList();
            forms.Add(string.Concat(lines));
            if (lines.Count == 1) continue;
            if (value.EndsWith('\n')) forms.UnionWith(Base64Forms(Encoding.UTF8.GetBytes(value.TrimEnd('\n', '\r'))));
            forms.UnionWith(lines.Where(l => l.Trim().Length >= MinimumLinePartLength));
        }

        forms.Remove("");
        return forms.OrderByDescending(f => Encoding.UTF8.GetByteCount(f)).ThenBy(f => f, StringComparer.Ordinal)
            .Select(Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>
    /// The part of the value's base64 text that does not depend on its surroundings, for each of the three byte
    /// alignments it can have inside encoded data: <c>echo $SECRET | base64</c> adds a newline and changes the
    /// last characters, text before it shifts the alignment, but this core stays the same.
    /// </summary>
    private static IEnumerable<string> Base64Forms(byte[] value)
    {
        for (var offset = 0; offset < 3; offset++)
        {
            var padded = new byte[offset + value.Length];
            value.CopyTo(padded, offset);
            var encoded = Convert.ToBase64String(padded);
            var first = (8 * offset + 5) / 6;            // the first character not touched by bytes before the value
            var end = 8 * (offset + value.Length) / 6;   // characters after this one mix in bytes after the value
            if (end - first >= MinimumBase64Length) yield return encoded[first..end];
        }
    }
}
