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
        var words = new Words(this);
        Distinct(folded, ref words);
        return new string(_output, 0, words.Written);
    }

    /// <summary>
    /// Gives each distinct trigram of <paramref name="folded"/> (within a line) to <paramref name="sink"/> once: what
    /// every index built on these trigrams holds (the SQLite index as words, the PostgreSQL one as numbers).
    /// </summary>
    public void Distinct<TSink>(ReadOnlySpan<char> folded, ref TSink sink) where TSink : struct, ITrigramSink
    {
        foreach (var line in folded.EnumerateLines())
        {
            if (line.Length < 3) continue;
            if (Ascii.IsValid(line)) AddAscii(line, ref sink);
            else AddAny(line, ref sink);
        }

        foreach (var key in _set) _ascii[key >> 6] = 0;
        _set.Clear();
        _other.Clear();
    }

    private void AddAscii<TSink>(ReadOnlySpan<char> line, ref TSink sink) where TSink : struct, ITrigramSink
    {
        var key = (line[0] << 7) | line[1];
        for (var i = 2; i < line.Length; i++)
        {
            key = ((key << 7) | line[i]) & 0x1FFFFF;
            ref var word = ref _ascii[key >> 6];
            var bit = 1UL << (key & 63);
            if ((word & bit) != 0) continue;
            if (word == 0) _set.Add(key);
            word |= bit;
            sink.Ascii(key);
        }
    }

    /// <summary>A line with other characters: trigrams of code points (a lone surrogate counts as U+FFFD, as SQLite stores it).</summary>
    private void AddAny<TSink>(ReadOnlySpan<char> line, ref TSink sink) where TSink : struct, ITrigramSink
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
                sink.Ascii(key);
            }
            else if (_other.Add(((long)last[0].Value << 42) | ((long)last[1].Value << 21) | (uint)last[2].Value))
            {
                sink.Other(last[0], last[1], last[2]);
            }
        }
    }

    /// <summary>Writes each trigram as a word of the FTS5 table, one per line.</summary>
    private struct Words(TrigramTokens owner) : ITrigramSink
    {
        public int Written;

        public void Ascii(int key)
        {
            var output = Room(4);
            output[Written] = Shown((char)(key >> 14));
            output[Written + 1] = Shown((char)((key >> 7) & 0x7F));
            output[Written + 2] = Shown((char)(key & 0x7F));
            output[Written + 3] = '\n';
            Written += 4;
        }

        public void Other(Rune first, Rune second, Rune third)
        {
            var output = Room(7);
            Written += Shown(first).EncodeToUtf16(output.AsSpan(Written));
            Written += Shown(second).EncodeToUtf16(output.AsSpan(Written));
            Written += Shown(third).EncodeToUtf16(output.AsSpan(Written));
            output[Written++] = '\n';
        }

        private readonly char[] Room(int needed)
        {
            if (owner._output.Length < Written + needed) Array.Resize(ref owner._output, Math.Max(2 * owner._output.Length, Written + needed));
            return owner._output;
        }
    }

    /// <summary>
    /// An FTS5 query for a literal text (already upper-cased): its distinct trigrams, each a quoted word, joined by AND;
    /// it finds a superset of the pieces holding the text. Null when the text has no trigram.
    /// </summary>
    public static string? Query(string folded)
    {
        var trigrams = OfQuery(folded);
        if (trigrams.Count == 0) return null;
        var words = trigrams.Select(t => string.Concat(Shown(t.First).ToString(), Shown(t.Second).ToString(), Shown(t.Third).ToString())).Distinct(StringComparer.Ordinal);
        return string.Join(" AND ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }

    /// <summary>
    /// The distinct trigrams of a query (already upper-cased) within its lines, as <see cref="Distinct"/> finds them in
    /// a piece: a piece holding the text holds all of them. At most <see cref="MaxQueryTrigrams"/>, spread over the whole
    /// text, first and last included. Empty when the text has no trigram.
    /// </summary>
    public static IReadOnlyList<(Rune First, Rune Second, Rune Third)> OfQuery(string folded)
    {
        var trigrams = new List<(Rune, Rune, Rune)>();
        var seen = new HashSet<(Rune, Rune, Rune)>();
        foreach (var line in folded.AsSpan().EnumerateLines())
        {
            var runes = new List<Rune>();
            for (var i = 0; i < line.Length;)
            {
                Rune.DecodeFromUtf16(line[i..], out var rune, out var consumed);
                runes.Add(rune);
                i += consumed;
            }

            for (var i = 0; i + 3 <= runes.Count; i++)
            {
                if (seen.Add((runes[i], runes[i + 1], runes[i + 2]))) trigrams.Add((runes[i], runes[i + 1], runes[i + 2]));
            }
        }

        if (trigrams.Count <= MaxQueryTrigrams) return trigrams;
        var step = (trigrams.Count - 1) / (double)(MaxQueryTrigrams - 1);
        return [.. Enumerable.Range(0, MaxQueryTrigrams).Select(i => trigrams[(int)Math.Round(i * step)]).Distinct()];
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

/// <summary>Receives the distinct trigrams of a text from <see cref="TrigramTokens.Distinct"/>.</summary>
public interface ITrigramSink
{
    /// <summary>A trigram of three ASCII characters, as its key: <c>first &lt;&lt; 14 | second &lt;&lt; 7 | third</c>.</summary>
    void Ascii(int key);

    /// <summary>Any other trigram, as its three code points (a lone surrogate as U+FFFD).</summary>
    void Other(Rune first, Rune second, Rune third);
}
