using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Server.Logs.Search;

/// <summary>
/// Cuts a log into the pieces the search index holds: about <c>linesPerChunk</c> lines (fewer when they are
/// long; <see cref="LinesPerChunk"/> by default), each with its first line's number, its byte range in the log, and its lines as the viewer shows them with
/// the secrets of <paramref name="masker"/> masked.
/// </summary>
public static class LogChunker
{
    public const int LinesPerChunk = 100;
    public const int MaxChunkBytes = 256 * 1024;
    private const int ReadBytes = 1024 * 1024;
    private const int MaxBufferBytes = MaxChunkBytes + ReadBytes;
    private const int SmallestBufferBytes = 4096;

    /// <summary>Room for the whole rest of the log and one more byte (so its end is seen without growing), at most <see cref="MaxBufferBytes"/>.</summary>
    private static int InitialBytes(Stream log)
    {
        if (!log.CanSeek) return MaxBufferBytes;
        var rest = Math.Max(0, log.Length - log.Position) + 1;
        return (int)Math.Clamp(rest, SmallestBufferBytes, MaxBufferBytes);
    }

    public static IAsyncEnumerable<IndexChunk> ChunksAsync(Stream log, SecretMasker masker, CancellationToken cancellationToken) =>
        ChunksAsync(log, masker, LinesPerChunk, cancellationToken);

    public static async IAsyncEnumerable<IndexChunk> ChunksAsync(
        Stream log, SecretMasker masker, int linesPerChunk, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(linesPerChunk, 1);
        // Sized to the log (most logs are a few KiB): a fixed 1.25 MiB buffer and 2.5 MiB of chars per log were large
        // objects that only a full collection returns, the largest part of the server's memory in a burst of runs.
        var buffer = new byte[InitialBytes(log)];
        var chars = new char[Math.Min(buffer.Length, 64 * 1024)];
        var filled = 0;
        long offset = 0;
        long line = 1;
        var end = false;
        while (true)
        {
            while (!end)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length == MaxBufferBytes) break;
                    Array.Resize(ref buffer, (int)Math.Min(MaxBufferBytes, 2L * buffer.Length)); // longer than it said (it grew)
                }

                var read = await log.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                end = read == 0;
                filled += read;
            }

            if (filled == 0) yield break;

            var (used, newlines, chunkText) = Cut(buffer.AsSpan(0, filled), end, ref chars, masker, linesPerChunk);
            yield return new IndexChunk(line, offset, used, chunkText);
            line += newlines;
            offset += used;
            buffer.AsSpan(used, filled - used).CopyTo(buffer);
            filled -= used;
        }
    }

    /// <summary>One chunk from the start of the buffer: whole lines, up to the line count or about the size.</summary>
    /// <remarks>
    /// The lines as shown are written one after the other into <paramref name="chars"/> (grown as needed), then masked
    /// as a whole: no form of a secret holds a line break, so the piece holds a secret exactly when one of its lines
    /// does, and a piece without one (nearly all of them) needs no work per line.
    /// </remarks>
    private static (int Used, int Newlines, string Text) Cut(
        ReadOnlySpan<byte> span, bool end, ref char[] chars, SecretMasker masker, int linesPerChunk)
    {
        var used = 0;
        var newlines = 0;
        var written = 0;
        for (var lines = 0; lines < linesPerChunk && used < MaxChunkBytes && used < span.Length; lines++)
        {
            var rest = span[used..];
            var newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> content;
            if (newline >= 0)
            {
                content = rest[..newline];
                used += newline + 1;
                newlines++;
            }
            else if (end)
            {
                content = rest;
                used += rest.Length;
            }
            else if (used > 0)
            {
                break; // the next line does not fit: it starts the next chunk
            }
            else
            {
                content = rest[..Math.Min(MaxChunkBytes, rest.Length)]; // a line longer than the buffer: indexed piece by piece
                used += content.Length;
            }

            if (written + content.Length + 1 > chars.Length) Array.Resize(ref chars, Math.Max(2 * chars.Length, written + content.Length + 1));
            if (written > 0) chars[written++] = '\n';
            var shown = ShownLine.Of(content, chars.AsSpan(written));
            // The shown text is a slice of what was decoded there: moved to where the line starts.
            shown.CopyTo(chars.AsSpan(written));
            written += shown.Length;
        }

        var text = chars.AsSpan(0, written);
        return (used, newlines, masker.IsEmpty || !HoldsASecret(text, masker) ? new string(text) : MaskLines(text, masker));
    }

    private static bool HoldsASecret(ReadOnlySpan<char> text, SecretMasker masker)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            return masker.Contains(bytes.AsSpan(0, Encoding.UTF8.GetBytes(text, bytes)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Each line masked on its own, as the search checks it.</summary>
    private static string MaskLines(ReadOnlySpan<char> text, SecretMasker masker)
    {
        var masked = new StringBuilder(text.Length + 16);
        foreach (var line in text.EnumerateLines())
        {
            if (masked.Length > 0) masked.Append('\n');
            masked.Append(masker.Mask(line.ToString()));
        }

        return masked.ToString();
    }
}
