using System.Buffers;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Engine.Secrets;

/// <summary>Applies found secret ranges to a line: replaced by <c>***</c> when stored, overwritten by <c>*</c> when read.</summary>
public static class MaskedText
{
    /// <summary>Writes <paramref name="line"/> with each run of overlapping ranges replaced by <c>***</c>.</summary>
    public static void Replace(ReadOnlySpan<byte> line, List<ByteRange> ranges, IBufferWriter<byte> output)
    {
        var at = 0;
        foreach (var range in Merged(ranges))
        {
            output.Write(line[at..range.Start]);
            output.Write(SecretMasker.Replacement);
            at = range.End;
        }

        output.Write(line[at..]);
    }

    /// <summary>
    /// Overwrites every byte in the ranges with <c>*</c>: the text keeps its length, so byte offsets into a stored
    /// log stay true for readers that page through it.
    /// </summary>
    public static void Overwrite(Span<byte> line, List<ByteRange> ranges)
    {
        foreach (var range in ranges) line[range.Start..range.End].Fill((byte)'*');
    }

    /// <summary>The ranges sorted, overlapping ones joined (ranges that only touch stay apart: two secrets in a row).</summary>
    public static List<ByteRange> Merged(List<ByteRange> ranges)
    {
        if (ranges.Count <= 1) return ranges;
        ranges.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));
        var merged = new List<ByteRange> { ranges[0] };
        foreach (var range in ranges.Skip(1))
        {
            var last = merged[^1];
            if (range.Start < last.End) merged[^1] = last with { End = Math.Max(last.End, range.End) };
            else merged.Add(range);
        }

        return merged;
    }
}
