using System.Numerics;
using System.Text;
using Pipeliner.Server.Logs.Search.Sqlite;

namespace Pipeliner.Server.Logs.Search.Postgres;

/// <summary>
/// The trigrams of a piece as the PostgreSQL index holds them: the distinct trigrams that <see cref="TrigramTokens"/>
/// finds (the same as the SQLite index's), each hashed to a 16-bit code, as a sorted <c>smallint[]</c> without
/// duplicates. 16 bits rather than 32: the array is stored in the table besides the GIN index, and a piece of 400
/// lines holds about a tenth as many distinct trigrams as characters, so 4-byte codes alone would be about 0.4× the
/// text (over the 0.5× target with the GIN index); 2-byte codes are half that. Codes shared by several trigrams only
/// make the index name a few more pieces, which the log check then drops. Not thread-safe: one instance per writer.
/// </summary>
public sealed class TrigramCodes
{
    private readonly TrigramTokens _trigrams = new();

    /// <summary>Seen codes: one bit per code.</summary>
    private readonly ulong[] _seen = new ulong[(1 << 16) / 64];

    private char[] _folded = new char[16 * 1024];

    /// <summary>The codes of a piece's text as shown (any case): sorted, each once.</summary>
    public short[] Of(string text)
    {
        if (_folded.Length < text.Length) _folded = new char[Math.Max(2 * _folded.Length, text.Length)];
        var folded = text.AsSpan().ToUpperInvariant(_folded);
        var sink = new Sink(_seen);
        _trigrams.Distinct(_folded.AsSpan(0, folded), ref sink);
        var codes = new short[sink.Count];
        var written = 0;
        for (var i = 0; i < _seen.Length; i++)
        {
            for (var word = _seen[i]; word != 0; word &= word - 1)
                codes[written++] = (short)((i << 6) + BitOperations.TrailingZeroCount(word) - 32768);
            _seen[i] = 0;
        }

        return codes;
    }

    /// <summary>The codes a piece holding the query (any case) holds all of (<see cref="TrigramTokens.OfQuery"/>); empty when it has no trigram.</summary>
    public static short[] OfQuery(string query) =>
        [.. TrigramTokens.OfQuery(query.ToUpperInvariant()).Select(t => Code(t.First, t.Second, t.Third)).Distinct().Order()];

    private static short Code(Rune first, Rune second, Rune third) =>
        first.IsAscii && second.IsAscii && third.IsAscii
            ? Code((first.Value << 14) | (second.Value << 7) | third.Value)
            : Code(((long)first.Value << 42) | ((long)second.Value << 21) | (uint)third.Value);

    /// <summary>An ASCII trigram's 21-bit key, spread over 16 bits (Fibonacci hashing), as a signed <c>smallint</c>.</summary>
    private static short Code(int key) => (short)(((uint)key * 0x9E3779B1u >> 16) - 32768);

    /// <summary>Any other trigram's three 21-bit code points, spread over 16 bits.</summary>
    private static short Code(long runes) => (short)((int)((ulong)runes * 0x9E3779B97F4A7C15ul >> 48) - 32768);

    private struct Sink(ulong[] seen) : ITrigramSink
    {
        public int Count;

        public void Ascii(int key) => Add(Code(key));

        public void Other(Rune first, Rune second, Rune third) => Add(Code(((long)first.Value << 42) | ((long)second.Value << 21) | (uint)third.Value));

        private void Add(short code)
        {
            var bit = code + 32768;
            ref var word = ref seen[bit >> 6];
            var mask = 1UL << (bit & 63);
            if ((word & mask) != 0) return;
            word |= mask;
            Count++;
        }
    }
}
