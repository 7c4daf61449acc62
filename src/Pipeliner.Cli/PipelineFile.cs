using System.Text;

namespace Pipeliner.Cli;

/// <summary>Reads a pipeline file defensively: every way it can be unusable becomes a one-line message.</summary>
internal static class PipelineFile
{
    public const string DefaultName = ".pipeliner.yml";
    public const int MaxBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <returns>The text, or null with <paramref name="error"/> set ("FILE: why").</returns>
    public static string? TryRead(string path, out string? error)
    {
        error = null;
        byte[]? bytes;
        try
        {
            if (path.Length == 0)
            {
                error = "the file name is empty";
                return null;
            }

            if (Directory.Exists(path))
            {
                error = $"{path}: is a directory, not a pipeline file";
                return null;
            }

            var info = new FileInfo(path);
            if (!info.Exists)
            {
                error = $"{path}: no such file";
                return null;
            }

            bytes = info.Length > MaxBytes ? null : ReadAtMost(path, MaxBytes);
            if (bytes is null)
            {
                error = $"{path}: the file is larger than 1 MiB, the most a pipeline file may hold";
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: cannot read the file: {e.Message}";
            return null;
        }

        return Decode(path, bytes, out error);
    }

    /// <summary>
    /// The file's bytes, or null when there are more than <paramref name="limit"/>. Reading stops there, so a file
    /// whose size is not known in advance (a device such as /dev/zero, a pipe, a growing log) cannot exhaust memory.
    /// </summary>
    private static byte[]? ReadAtMost(string path, int limit)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0) length += read;
        return length > limit ? null : buffer[..length];
    }

    private static string? Decode(string path, byte[] bytes, out string? error)
    {
        error = null;
        var nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0)
        {
            error = $"{path}: not a text file (a NUL byte at offset {nul})";
            return null;
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            error = $"{path}: not UTF-8 text (an invalid byte at offset {e.Index})";
            return null;
        }

        if (text.StartsWith('\uFEFF')) text = text[1..];
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"{path}: the file is empty";
            return null;
        }

        return text;
    }
}
