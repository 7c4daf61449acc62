using System.Text;
using System.Text.RegularExpressions;

namespace Pipeliner.TestSupport.Secrets;

/// <summary>
/// Looks for a secret in log text the way a reader could recover it, independently of Pipeliner's masker: in each
/// line and in the lines joined, without escape sequences and carriage returns or as a terminal renders them, and
/// in the base64 decoding of every base64-looking run of the joined text at each of its four alignments.
/// </summary>
public static partial class SecretLeaks
{
    /// <summary>A run of this many characters of a value is a leak (shorter edges may stay where a value meets a line break or base64's padding).</summary>
    public const int PartLength = 8;

    /// <summary>Decoded base64 holding this many bytes of a value in a row is a leak.</summary>
    public const int DecodedPartLength = 6;

    /// <summary>Every way the text gives one of the values away; empty when it does not.</summary>
    public static List<string> Find(string text, IEnumerable<string> secrets)
    {
        var lines = text.Split('\n');
        var visible = lines.Select(Visible).ToList();
        var rendered = lines.Select(Rendered).ToList();
        var joined = string.Concat(visible);
        var leaks = new List<string>();
        foreach (var secret in secrets)
        {
            var values = secret.Split('\n').Where(l => l.Length >= 3).Append(secret.Replace("\n", "", StringComparison.Ordinal)).Distinct().ToList();
            foreach (var value in values)
            {
                if (visible.Concat(rendered).FirstOrDefault(l => l.Contains(value, StringComparison.Ordinal)) is { } line)
                    leaks.Add($"'{Short(value)}' in line '{line}'");
                if (Part(joined, value, PartLength) is { } part) leaks.Add($"'{part}' of '{Short(value)}' in the lines joined");
            }

            var bytes = Encoding.UTF8.GetBytes(secret);
            foreach (Match run in Base64Run().Matches(joined))
            {
                for (var shift = 0; shift < 4; shift++)
                {
                    var decoded = Decode(run.Value[Math.Min(shift, run.Value.Length)..]);
                    if (BytePart(decoded, bytes, DecodedPartLength)) leaks.Add($"base64 run '{Short(run.Value)}' decodes to part of '{Short(secret)}'");
                }
            }
        }

        return leaks;
    }

    /// <summary>The line without escape sequences and carriage returns.</summary>
    public static string Visible(string line) => Escape().Replace(line, "").Replace("\r", "", StringComparison.Ordinal);

    /// <summary>The line as a terminal shows it: after a carriage return, text overwrites from the first column.</summary>
    public static string Rendered(string line)
    {
        var screen = new StringBuilder();
        foreach (var part in Escape().Replace(line, "").Split('\r'))
        {
            if (part.Length >= screen.Length) screen.Clear().Append(part);
            else screen.Remove(0, part.Length).Insert(0, part);
        }

        return screen.ToString();
    }

    private static string? Part(string text, string value, int length)
    {
        for (var i = 0; i + length <= value.Length; i++)
        {
            var part = value.Substring(i, length);
            if (text.Contains(part, StringComparison.Ordinal)) return part;
        }

        return null;
    }

    private static byte[] Decode(string run)
    {
        var usable = run.TrimEnd('=');
        usable = usable[..(usable.Length / 4 * 4)];
        var bytes = new byte[usable.Length];
        return Convert.TryFromBase64String(usable, bytes, out var written) ? bytes[..written] : [];
    }

    private static bool BytePart(byte[] haystack, byte[] value, int length)
    {
        for (var i = 0; i + length <= value.Length; i++)
        {
            if (haystack.AsSpan().IndexOf(value.AsSpan(i, length)) >= 0) return true;
        }

        return false;
    }

    private static string Short(string text) => text.Length > 40 ? text[..40] + "…" : text;

    [GeneratedRegex("\u001b(\\[[0-?]*[ -/]*[@-~]|\\][^\u0007\u001b]*(\u0007|\u001b\\\\)|.)")]
    private static partial Regex Escape();

    [GeneratedRegex("[A-Za-z0-9+/]{8,}=*")]
    private static partial Regex Base64Run();
}
