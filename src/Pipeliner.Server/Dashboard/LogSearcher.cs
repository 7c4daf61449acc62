using System.Buffers;
using System.Text;
using Pipeliner.Server.Logs;

namespace Pipeliner.Server.Dashboard;

/// <summary>A line of a log that holds the searched text: its 1-based number, its byte offset, and its text (cut).</summary>
public sealed record LogMatch(long Line, long Offset, string Text);

/// <summary>
/// Finds the lines of a log holding a text, in any letter case, as the dashboard shows them: without the
/// timestamp prefix, after the last carriage return, without ANSI escape sequences (<see cref="ShownLine"/>). Reads the file once, in large blocks; a block without
/// any candidate is only counted, so a search through a 1 GB log takes about as long as reading it.
/// </summary>
public static class LogSearcher
{
    public const int MaxTextLength = 300;
    private const int BlockBytes = 1024 * 1024;

    /// <summary>Longer lines are searched in pieces of this size (a match across two pieces is missed).</summary>
    private const int MaxLineBytes = 4 * 1024 * 1024;

    public static async Task<(List<LogMatch> Matches, bool Truncated)> SearchAsync(
        Stream log, string query, int limit, CancellationToken cancellationToken)
    {
        var needle = SearchValues.Create([query], StringComparison.OrdinalIgnoreCase);
        var matches = new List<LogMatch>();
        var buffer = ArrayPool<byte>.Shared.Rent(MaxLineBytes + BlockBytes);
        var chars = ArrayPool<char>.Shared.Rent(MaxLineBytes + BlockBytes);
        try
        {
            var filled = 0;
            long bufferOffset = 0;
            long line = 1;
            var end = false;
            while (!end)
            {
                var read = await log.ReadAsync(buffer.AsMemory(filled, Math.Min(BlockBytes, buffer.Length - filled)), cancellationToken);
                end = read == 0;
                filled += read;
                var block = buffer.AsSpan(0, filled);

                // The complete lines of the block (all of it at the end of the file, or when one line fills the buffer).
                var complete = end || filled >= MaxLineBytes ? filled : block.LastIndexOf((byte)'\n') + 1;
                if (complete <= 0) continue;
                var lines = block[..complete];

                if (MayMatch(lines, chars, needle))
                {
                    line = SearchLines(lines, bufferOffset, line, chars, needle, matches, limit);
                    if (matches.Count >= limit) return (matches, true);
                }
                else
                {
                    line += lines.Count((byte)'\n');
                }

                block[complete..].CopyTo(buffer);
                filled -= complete;
                bufferOffset += complete;
            }

            return (matches, false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>False when no line of the block can hold the text: it is not there and no escape sequence can split it.</summary>
    private static bool MayMatch(ReadOnlySpan<byte> block, char[] chars, SearchValues<string> needle)
    {
        if (block.Contains((byte)0x1b)) return true;
        var count = Encoding.UTF8.GetChars(block, chars);
        return chars.AsSpan(0, count).IndexOfAny(needle) >= 0;
    }

    private static long SearchLines(
        ReadOnlySpan<byte> lines, long offset, long line, char[] chars, SearchValues<string> needle, List<LogMatch> matches, int limit)
    {
        var start = 0;
        while (start < lines.Length && matches.Count < limit)
        {
            var newline = lines[start..].IndexOf((byte)'\n');
            var length = newline < 0 ? lines.Length - start : newline;
            var text = ShownLine.Of(lines.Slice(start, length), chars);
            if (text.IndexOfAny(needle) >= 0)
            {
                matches.Add(new LogMatch(line, offset + start, new string(text.Length > MaxTextLength ? text[..MaxTextLength] : text)));
            }

            // Only a newline ends a line: the piece of a very long line continues on the same one.
            if (newline >= 0) line++;
            start += length + 1;
        }

        return line + (start < lines.Length ? lines[start..].Count((byte)'\n') : 0);
    }
}
