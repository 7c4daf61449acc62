using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Dashboard;

namespace Pipeliner.Server.Logs;

/// <summary>
/// A stored line as the log viewer shows it (web/src/components/LogViewer/storedLine.ts): without its timestamp prefix;
/// a carriage return overwrites the line, so only the text after the last one stays (a trailing CR, from CRLF output,
/// is not an overwrite); without terminal escape sequences. Search results use exactly this text.
/// </summary>
public static class ShownLine
{
    /// <param name="line">One stored line, without its newline.</param>
    /// <param name="chars">Scratch space of at least <paramref name="line"/>'s length; the result lives in it.</param>
    public static ReadOnlySpan<char> Of(ReadOnlySpan<byte> line, char[] chars) => Of(line, chars.AsSpan());

    /// <param name="line">One stored line, without its newline.</param>
    /// <param name="chars">Scratch space of at least <paramref name="line"/>'s length; the result is a slice of it.</param>
    public static Span<char> Of(ReadOnlySpan<byte> line, Span<char> chars)
    {
        var count = Encoding.UTF8.GetChars(LogLineFormat.TextOf(line), chars);
        var end = chars[..count].TrimEnd('\r').Length;
        var from = chars[..end].LastIndexOf('\r') + 1;
        var text = chars[from..end];
        return text.Contains('\u001b') ? chars.Slice(from, AnsiText.Strip(text, chars[from..])) : text;
    }

    public static string Of(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        return new string(Of(bytes, new char[bytes.Length]));
    }
}
