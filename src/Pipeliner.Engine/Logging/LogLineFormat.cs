using System.Globalization;

namespace Pipeliner.Engine.Logging;

/// <summary>
/// The stored line format, in one place: <c>2026-11-26T21:59:45.123Z text\n</c> — the UTC time to the millisecond, a
/// space, the masked output line. Agents write it (<see cref="JobLogWriter"/>) and the server's log store appends it.
/// </summary>
public static class LogLineFormat
{
    public const int TimestampLength = 24;

    private const string TimestampPattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    /// <summary>Writes the timestamp and the space after it; <paramref name="destination"/> holds at least 25 bytes.</summary>
    public static void WriteTimestamp(DateTimeOffset time, Span<byte> destination) =>
        time.UtcDateTime.TryFormat(destination, out _, TimestampPattern, CultureInfo.InvariantCulture);

    /// <summary>The text of a stored line without its timestamp prefix (the whole line when it has none).</summary>
    public static ReadOnlySpan<byte> TextOf(ReadOnlySpan<byte> line) => HasTimestamp(line) ? line[(TimestampLength + 1)..] : line;

    public static ReadOnlySpan<char> TextOf(ReadOnlySpan<char> line) =>
        line.Length > TimestampLength && line[TimestampLength] == ' ' && line[TimestampLength - 1] == 'Z' ? line[(TimestampLength + 1)..] : line;

    public static bool HasTimestamp(ReadOnlySpan<byte> line) =>
        line.Length > TimestampLength && line[TimestampLength] == (byte)' ' && line[TimestampLength - 1] == (byte)'Z';
}
