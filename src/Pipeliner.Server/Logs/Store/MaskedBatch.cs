using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Server.Logs.Store;

/// <summary>
/// A batch of a remote agent's log as stored: its lines with the run's secrets masked (one search over the batch,
/// <see cref="SecretMasker.MaskLinesInto"/>), and those lines as <see cref="LogLine"/>s for the live viewers, parsed
/// only when someone reads them (a run nobody watches needs no string per line).
/// </summary>
public static class MaskedBatch
{
    /// <summary>The masked bytes of <paramref name="bytes"/> (whole lines, each ending in a line feed) and its lines.</summary>
    public static (ReadOnlyMemory<byte> Masked, IReadOnlyList<LogLine> Lines) Of(ReadOnlyMemory<byte> bytes, SecretMasker masker)
    {
        ReadOnlyMemory<byte> masked;
        if (masker.IsEmpty)
        {
            masked = bytes;
        }
        else
        {
            var output = new ArrayBufferWriter<byte>(bytes.Length + 64);
            masker.MaskLinesInto(bytes.Span, output);
            masked = output.WrittenMemory;
        }

        return (masked, new Lines(masked));
    }

    /// <summary>A stored line is <c>{timestamp} {text}</c>; one without a timestamp is kept whole.</summary>
    public static LogLine Parse(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line);
        return LogLineFormat.HasTimestamp(line) &&
               DateTimeOffset.TryParse(text.AsSpan(0, LogLineFormat.TimestampLength - 1), CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal, out var timestamp)
            ? new LogLine(timestamp, text[(LogLineFormat.TimestampLength + 1)..])
            : new LogLine(DateTimeOffset.UnixEpoch, text);
    }

    /// <summary>The lines of a masked batch, parsed at the first read.</summary>
    private sealed class Lines(ReadOnlyMemory<byte> masked) : IReadOnlyList<LogLine>
    {
        private List<LogLine>? _parsed;

        private List<LogLine> Parsed => _parsed ??= ParseAll(masked.Span);

        public int Count => Parsed.Count;

        public LogLine this[int index] => Parsed[index];

        public IEnumerator<LogLine> GetEnumerator() => Parsed.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private static List<LogLine> ParseAll(ReadOnlySpan<byte> rest)
        {
            var lines = new List<LogLine>();
            while (rest.Length > 0)
            {
                var end = rest.IndexOf((byte)'\n');
                if (end < 0) end = rest.Length;
                lines.Add(Parse(rest[..end]));
                rest = rest[Math.Min(rest.Length, end + 1)..];
            }

            return lines;
        }
    }
}
