using System.Buffers;
using System.Text;
using Pipeliner.Engine.Secrets;

namespace Pipeliner.Engine.Logging;

/// <summary>
/// Finds secret values in log text (<see cref="SecretForms"/>: each value, its base64 forms, the lines of a
/// multi-line value), also where escape sequences or carriage returns are mixed into them, and replaces them by
/// <c>***</c>. Works on UTF-8 bytes, one text at a time; <see cref="MaskingWindow"/> finds values across lines.
/// </summary>
public sealed class SecretMasker
{
    public static readonly SecretMasker None = new([]);

    /// <summary>The replacement of a secret in a stored log.</summary>
    public static readonly byte[] Replacement = "***"u8.ToArray();

    private readonly byte[][] _patterns;

    public SecretMasker(IEnumerable<string> secretValues)
    {
        _patterns = SecretForms.Of(secretValues);
        LongestPatternBytes = _patterns.Length == 0 ? 0 : _patterns[0].Length;
    }

    public int LongestPatternBytes { get; }

    public bool IsEmpty => _patterns.Length == 0;

    /// <summary>Writes <paramref name="text"/> with every secret replaced into <paramref name="output"/>.</summary>
    public void MaskInto(ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        if (IsEmpty)
        {
            output.Write(text);
            return;
        }

        var ranges = new List<ByteRange>();
        FindInLine(text, ranges);
        MaskedText.Replace(text, ranges, output);
    }

    /// <summary>
    /// Writes <paramref name="lines"/> (lines ending in line breaks) with every secret replaced into
    /// <paramref name="output"/>: the same bytes as <see cref="MaskInto"/> line by line, but one search over all of them
    /// for the lines a terminal shows as they are (no escape sequence or carriage return, nearly all): no form of a
    /// secret holds a line break, so an occurrence never spans two lines. Only the other lines are looked at one by one.
    /// </summary>
    public void MaskLinesInto(ReadOnlySpan<byte> lines, IBufferWriter<byte> output)
    {
        if (IsEmpty)
        {
            output.Write(lines);
            return;
        }

        var ranges = new List<ByteRange>();
        AddMatches(lines, 0, ranges);
        if (!TerminalText.IsPlain(lines))
        {
            // The search's finds count in the plain lines; each other line is looked at as MaskInto does.
            var raw = ranges;
            raw.Sort((a, b) => a.Start.CompareTo(b.Start));
            ranges = [];
            var found = new List<ByteRange>();
            var next = 0;
            for (var start = 0; start < lines.Length;)
            {
                var end = lines[start..].IndexOf((byte)'\n');
                end = end < 0 ? lines.Length : start + end;
                var line = lines[start..end];
                var plain = TerminalText.IsPlain(line);
                for (; next < raw.Count && raw[next].Start < end; next++)
                {
                    if (plain) ranges.Add(raw[next]);
                }

                if (!plain)
                {
                    found.Clear();
                    FindInLine(line, found);
                    foreach (var range in found) ranges.Add(new ByteRange(start + range.Start, start + range.End));
                }

                start = end + 1;
            }
        }

        MaskedText.Replace(lines, ranges, output);
    }

    public string Mask(string text)
    {
        if (IsEmpty) return text;
        var output = new ArrayBufferWriter<byte>(text.Length + 16);
        MaskInto(Encoding.UTF8.GetBytes(text), output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>True when some secret occurs in <paramref name="text"/>.</summary>
    public bool Contains(ReadOnlySpan<byte> text)
    {
        if (IsEmpty) return false;
        var ranges = new List<ByteRange>();
        FindInLine(text, ranges);
        return ranges.Count > 0;
    }

    /// <summary>The ranges of <paramref name="line"/> (raw bytes) that give a secret away, on their own.</summary>
    internal void FindInLine(ReadOnlySpan<byte> line, List<ByteRange> ranges)
    {
        if (TerminalText.IsPlain(line))
        {
            AddMatches(line, 0, ranges);
            return;
        }

        var visible = ArrayPool<byte>.Shared.Rent(line.Length);
        var map = ArrayPool<int>.Shared.Rent(line.Length);
        try
        {
            var count = TerminalText.Strip(line, visible, map);
            var found = new List<ByteRange>();
            AddMatches(visible.AsSpan(0, count), 0, found);
            foreach (var range in found) ranges.Add(new ByteRange(map[range.Start], map[range.End - 1] + 1));
            if (WholeLineShowsASecret(line)) ranges.Add(new ByteRange(0, line.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(visible);
            ArrayPool<int>.Shared.Return(map);
        }
    }

    /// <summary>
    /// True when a line with carriage returns shows a secret on a terminal only, its parts overwriting each other
    /// (<c>"xxcret\rse"</c>): then the whole line is masked.
    /// </summary>
    internal bool WholeLineShowsASecret(ReadOnlySpan<byte> line)
    {
        if (IsEmpty || line.IndexOf((byte)'\r') < 0) return false;
        var rendered = TerminalText.Rendered(line);
        var found = new List<ByteRange>();
        AddMatches(rendered, 0, found);
        return found.Count > 0;
    }

    /// <summary>Adds every occurrence of a secret in <paramref name="text"/> that ends after <paramref name="newFrom"/>.</summary>
    internal void AddMatches(ReadOnlySpan<byte> text, int newFrom, List<ByteRange> ranges) => Scan(text, newFrom, ranges, int.MaxValue);

    /// <summary>
    /// Adds every occurrence of a secret in <paramref name="text"/> that ends after <paramref name="newFrom"/>, and
    /// returns where the longest end of the text that is the start of a secret (at least <paramref name="minimum"/>
    /// bytes of it, not all of it) begins, or -1: a line holding such an end may be followed by the rest of the value.
    /// One search per form, for its first bytes, finds both.
    /// </summary>
    internal int Scan(ReadOnlySpan<byte> text, int newFrom, List<ByteRange> ranges, int minimum)
    {
        var unfinished = -1;
        foreach (var pattern in _patterns)
        {
            var head = pattern.AsSpan(0, Math.Min(pattern.Length, Math.Min(minimum, HeadLength)));
            var at = Math.Max(0, newFrom - pattern.Length + 1);
            while (at <= text.Length - head.Length)
            {
                var index = text[at..].IndexOf(head);
                if (index < 0) break;
                var start = at + index;
                at = start + 1;
                var rest = text[start..];
                if (rest.Length >= pattern.Length)
                {
                    if (rest.StartsWith(pattern)) ranges.Add(new ByteRange(start, start + pattern.Length));
                }
                else if (rest.Length >= minimum && (unfinished < 0 || start < unfinished) && pattern.AsSpan().StartsWith(rest))
                {
                    unfinished = start;
                }
            }
        }

        return unfinished;
    }

    /// <summary>How many first bytes of a form are searched for (then compared whole).</summary>
    private const int HeadLength = 4;
}

/// <summary>A range of bytes, end exclusive.</summary>
public readonly record struct ByteRange(int Start, int End);
