namespace Pipeliner.Server.Dashboard;

/// <summary>Removes terminal escape sequences (colours, cursor moves, titles) from text, as the dashboard shows it.</summary>
public static class AnsiText
{
    private const char Escape = '\u001b';

    /// <summary>Writes <paramref name="source"/> without escape sequences into <paramref name="destination"/> (which may be the same memory); returns the length.</summary>
    public static int Strip(ReadOnlySpan<char> source, Span<char> destination)
    {
        var written = 0;
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c != Escape)
            {
                destination[written++] = c;
                i++;
                continue;
            }

            i++;
            if (i >= source.Length) break;
            if (source[i] == '[')
            {
                // CSI: parameters and intermediates, then one final byte from '@' to '~'.
                i++;
                while (i < source.Length && source[i] is < '@' or > '~') i++;
                i++;
            }
            else if (source[i] == ']')
            {
                // OSC: up to BEL or ESC \.
                i++;
                while (i < source.Length && source[i] != '\u0007' && source[i] != Escape) i++;
                if (i < source.Length && source[i] == Escape) i++;
                i++;
            }
            else
            {
                i++;
            }
        }

        return written;
    }

    public static string Strip(string text)
    {
        if (!text.Contains(Escape)) return text;
        var buffer = new char[text.Length];
        return new string(buffer, 0, Strip(text, buffer));
    }
}
