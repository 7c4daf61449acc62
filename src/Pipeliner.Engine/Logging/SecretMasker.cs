using System.Buffers;
using System.Text;

namespace Pipeliner.Engine.Logging;

/// <summary>
/// Replaces secret values in log text by <c>***</c>: each value, its base64 form, and each line of a multi-line
/// value. Works on UTF-8 bytes; the caller makes sure a value is never split between two calls.
/// </summary>
public sealed class SecretMasker
{
    public static readonly SecretMasker None = new([]);

    /// <summary>Parts of multi-line secrets shorter than this are not masked on their own: they would mask ordinary text.</summary>
    private const int MinimumLinePartLength = 3;

    /// <summary>Shorter base64 cores are too likely to occur by chance in ordinary output.</summary>
    private const int MinimumBase64Length = 6;

    private static readonly byte[] Replacement = "***"u8.ToArray();
    private readonly byte[][] _patterns;

    public SecretMasker(IEnumerable<string> secretValues)
    {
        var patterns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in secretValues.Where(v => v.Length > 0))
        {
            patterns.Add(value);
            patterns.UnionWith(Base64Forms(Encoding.UTF8.GetBytes(value)));
            if (!value.Contains('\n', StringComparison.Ordinal)) continue;
            foreach (var line in value.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length >= MinimumLinePartLength))
                patterns.Add(line);
        }

        // Longest first, so that a value is masked whole before a shorter one matches inside it.
        _patterns = patterns.OrderByDescending(p => p.Length).Select(Encoding.UTF8.GetBytes).ToArray();
        LongestPatternBytes = _patterns.Length == 0 ? 0 : _patterns.Max(p => p.Length);
    }

    public int LongestPatternBytes { get; }

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

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>Writes <paramref name="text"/> with every secret replaced into <paramref name="output"/>.</summary>
    public void MaskInto(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        while (!text.IsEmpty)
        {
            var (index, length) = FindFirst(text);
            if (index < 0)
            {
                output.Write(text);
                return;
            }

            output.Write(text[..index]);
            output.Write(Replacement);
            text = text[(index + length)..];
        }
    }

    public string Mask(string text)
    {
        if (IsEmpty) return text;
        var output = new ArrayBufferWriter<byte>(text.Length + 16);
        MaskInto(Encoding.UTF8.GetBytes(text), output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>True when some secret occurs in <paramref name="text"/>.</summary>
    public bool Contains(ReadOnlySpan<byte> text) => FindFirst(text).Index >= 0;

    private (int Index, int Length) FindFirst(ReadOnlySpan<byte> text)
    {
        var bestIndex = -1;
        var bestLength = 0;
        foreach (var pattern in _patterns)
        {
            var limit = bestIndex < 0 ? text.Length : Math.Min(text.Length, bestIndex + pattern.Length - 1);
            var index = text[..limit].IndexOf(pattern);
            if (index >= 0 && (bestIndex < 0 || index < bestIndex))
            {
                bestIndex = index;
                bestLength = pattern.Length;
            }
        }

        return (bestIndex, bestLength);
    }
}
