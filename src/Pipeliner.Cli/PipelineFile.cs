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
        byte[] bytes;
        try
        {
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

            if (info.Length > MaxBytes)
            {
                error = $"{path}: the file is {info.Length / (1024.0 * 1024):0.0} MiB; a pipeline file is at most 1 MiB";
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: cannot read the file: {e.Message}";
            return null;
        }

        return Decode(path, bytes, out error);
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
