using System.Text;

namespace Pipeliner.Server.Logs.Search.Sqlite;

/// <summary>
/// The trigrams of a text as the SQLite index holds them: every run of three characters (code points) within a line,
/// each distinct one once, written as a word of the FTS5 <c>ascii</c> tokenizer (<see cref="Tokenizer"/>: every
/// character but a line break belongs to a word, so a trigram with spaces or punctuation is one word; line breaks
/// separate the words). A piece of 400 lines holds about a tenth as many distinct trigrams as it has characters, so
/// FTS5 tokenizes and hashes a tenth of what its own trigram tokenizer would (which hashes every occurrence).
/// Control characters (which the ascii tokenizer takes for separators) are written as the C1 character 0x80 above
/// them (0x7F as 0x9F), alike for the index and the query: a match stays a match, and the log decides.
/// Not thread-safe: one instance per writer.
/// </summary>
public sealed class TrigramTokens
{
    /// <summary>The tokenizer of the FTS5 table: all printable ASCII are word characters (letters and digits already are).</summary>
    public static readonly string Tokenizer = "ascii tokenchars '" + TokenChars().Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Enough trigrams for a query to be selective; more only make it slower.</summary>
    private const int MaxQueryTrigrams = 24;

    /// <summary>Seen ASCII trigrams: one bit per 3 × 7-bit key (256 KiB), cleared through <see cref="_set"/>.</summary>
    private readonly ulong[] _ascii = new ulong[(1 << 21) / 64];

    private readonly List<int> _set = [];
    private readonly HashSet<long> _other = [];
    private char[] _output = new char[4096];

    /// <summary>The words to index for <paramref name="folded"/> (already upper-cased): each distinct trigram, one per line.</summary>
    public string Of(ReadOnlySpan<char> folded)
    {
        var written = 0;
        foreach (var line in folded.EnumerateLines())
        {
            if (line.Length < 3) continue;
            var ascii = Ascii.IsValid(line);
            var room = written + (ascii ? 4 : 7) * line.Length;
            if (_output.Length < room) Array.Resize(ref _output, Math.Max(2 * _output.Length, room));
            written = ascii ? AddAscii(line, written) : AddAny(line, written);
        }

        foreach (var key in _set) _ascii[key >> 6] = 0;
        _set.Clear();
        _other.Clear();
        return new string(_output, 0, written);
    }

    private int AddAscii(ReadOnlySpan<char> line, int written)
    {
        var output = _output;
        var key = (line[0] << 7) | line[1];
        for (var i = 2; i < line.Length; i++)
        {
            key = ((key << 7) | line[i]) & 0x1FFFFF;
            ref var word = ref _ascii[key >> 6];
            var bit = 1UL << (key & 63);
            if ((word & bit) != 0) continue;
            if (word == 0) _set.Add(key);
            word |= bit;
            output[written] = Shown(line[i - 2]);
            output[written + 1] = Shown(line[i - 1]);
            output[written + 2] = Shown(line[i]);
            output[written + 3] = '\n';
            written += 4;
        }

        return written;
    }

    /// <summary>A line with other characters: trigrams of code points (a lone surrogate counts as U+FFFD, as SQLite stores it).</summary>
    private int AddAny(ReadOnlySpan<char> line, int written)
    {
        Span<Rune> last = stackalloc Rune[3];
        var count = 0;
        for (var i = 0; i < line.Length;)
        {
            Rune.DecodeFromUtf16(line[i..], out var rune, out var consumed);
            i += consumed;
            last[0] = last[1];
            last[1] = last[2];
            last[2] = rune;
            if (++count < 3) continue;
            if (last[0].IsAscii && last[1].IsAscii && last[2].IsAscii)
            {
                var key = (last[0].Value << 14) | (last[1].Value << 7) | last[2].Value;
                ref var word = ref _ascii[key >> 6];
                var bit = 1UL << (key & 63);
                if ((word & bit) != 0) continue;
                if (word == 0) _set.Add(key);
                word |= bit;
            }
            else if (!_other.Add(((long)last[0].Value << 42) | ((long)last[1].Value << 21) | (uint)last[2].Value))
            {
                continue;
            }

            foreach (var r in last) written += Shown(r).EncodeToUtf16(_output.AsSpan(written));
            _output[written++] = '\n';
        }

        return written;
    }

    /// <summary>
    /// An FTS5 query for a literal text (already upper-cased): its distinct trigrams, each a quoted word, joined by AND;
    /// it finds a superset of the pieces holding the text. Null when the text has no trigram.
    /// </summary>
    public static string? Query(string folded)
    {
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in folded.AsSpan().EnumerateLines())
        {
            var runes = new List<Rune>();
            for (var i = 0; i < line.Length;)
            {
                Rune.DecodeFromUtf16(line[i..], out var rune, out var consumed);
                runes.Add(Shown(rune));
                i += consumed;
            }

            for (var i = 0; i + 3 <= runes.Count; i++)
            {
                var word = string.Concat(runes[i].ToString(), runes[i + 1].ToString(), runes[i + 2].ToString());
                if (seen.Add(word)) words.Add(word);
            }
        }

        if (words.Count == 0) return null;
        if (words.Count > MaxQueryTrigrams)
        {
            // Spread over the whole text, first and last included.
            var step = (words.Count - 1) / (double)(MaxQueryTrigrams - 1);
            words = [.. Enumerable.Range(0, MaxQueryTrigrams).Select(i => words[(int)Math.Round(i * step)]).Distinct()];
        }

        return string.Join(" AND ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }

    private static char Shown(char c) => c < 0x20 ? (char)(c + 0x80) : c == 0x7F ? '\u009F' : c;

    private static Rune Shown(Rune r) => r.Value < 0x20 ? new Rune(r.Value + 0x80) : r.Value == 0x7F ? new Rune(0x9F) : r;

    private static string TokenChars()
    {
        var chars = new StringBuilder();
        for (var c = ' '; c < 0x7F; c++)
        {
            if (!char.IsAsciiLetterOrDigit(c)) chars.Append(c);
        }

        return chars.ToString();
    }
}
