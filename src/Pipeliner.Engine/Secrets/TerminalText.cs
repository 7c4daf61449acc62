using System.Buffers;

namespace Pipeliner.Engine.Secrets;

/// <summary>
/// The text of a line as a person reads it, for finding secrets in it: without terminal escape sequences (colours,
/// cursor moves, titles) and carriage returns, which a job can put between a value's characters
/// (<c>printf 'hun\e[0mter2'</c>) without changing what a terminal or the dashboard shows.
/// </summary>
internal static class TerminalText
{
    private const byte Escape = 0x1b;
    private const byte CarriageReturn = (byte)'\r';
    private static readonly SearchValues<byte> Hidden = SearchValues.Create([Escape, CarriageReturn]);

    /// <summary>True when the line has nothing a terminal hides: its visible text is its bytes.</summary>
    public static bool IsPlain(ReadOnlySpan<byte> line) => !line.ContainsAny(Hidden);

    /// <summary>
    /// Writes the visible bytes of <paramref name="line"/> to <paramref name="visible"/>, and for each of them its
    /// index in the line to <paramref name="map"/>; returns how many.
    /// </summary>
    public static int Strip(ReadOnlySpan<byte> line, Span<byte> visible, Span<int> map)
    {
        var written = 0;
        var i = 0;
        while (i < line.Length)
        {
            var b = line[i];
            if (b == CarriageReturn)
            {
                i++;
                continue;
            }

            if (b != Escape)
            {
                visible[written] = b;
                map[written++] = i++;
                continue;
            }

            i = AfterEscape(line, i);
        }

        return written;
    }

    /// <summary>
    /// What a terminal shows of a line with carriage returns: each part after a carriage return overwrites the text
    /// from the first column (<c>"xxcret\rse"</c> shows <c>secret</c>). Escape sequences are left out.
    /// </summary>
    public static byte[] Rendered(ReadOnlySpan<byte> line)
    {
        var screen = new List<byte>(line.Length);
        var column = 0;
        var i = 0;
        while (i < line.Length)
        {
            var b = line[i];
            if (b == Escape)
            {
                i = AfterEscape(line, i);
                continue;
            }

            i++;
            if (b == CarriageReturn)
            {
                column = 0;
                continue;
            }

            if (column < screen.Count) screen[column] = b;
            else screen.Add(b);
            column++;
        }

        return [.. screen];
    }

    /// <summary>The index after the escape sequence starting at <paramref name="start"/> (CSI, OSC or a two-byte one).</summary>
    private static int AfterEscape(ReadOnlySpan<byte> line, int start)
    {
        var i = start + 1;
        if (i >= line.Length) return i;
        switch (line[i])
        {
            case (byte)'[':
                // CSI: parameters and intermediates, then one final byte from '@' to '~'.
                i++;
                while (i < line.Length && line[i] is < (byte)'@' or > (byte)'~') i++;
                return i + 1;
            case (byte)']':
                // OSC: up to BEL or ESC \.
                i++;
                while (i < line.Length && line[i] != 0x07 && line[i] != Escape) i++;
                if (i < line.Length && line[i] == Escape) i++;
                return i + 1;
            default:
                return i + 1;
        }
    }
}
