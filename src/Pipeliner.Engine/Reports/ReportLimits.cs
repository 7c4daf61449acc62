namespace Pipeliner.Engine.Reports;

/// <summary>
/// What reading a job's report files may consume. A job's script writes them, so nothing in them is trusted: files past
/// a cap are left out (said in the job's log), and what is kept of each test failure or finding is bounded.
/// </summary>
/// <param name="MaxFileBytes">Largest report file read; a larger one is left out.</param>
/// <param name="MaxTotalBytes">Most bytes of report files kept per job attempt.</param>
/// <param name="MaxFiles">Most report files kept per job attempt.</param>
/// <param name="MaxDepth">Deepest nesting of XML elements or JSON values read.</param>
/// <param name="MaxMessageChars">Longest failure or finding message kept.</param>
/// <param name="MaxStackTraceChars">Longest stack trace kept per failing test.</param>
/// <param name="MaxFailures">Most failing tests kept per job attempt (all are counted).</param>
/// <param name="MaxFindings">Most static analysis findings kept per job attempt (all are counted).</param>
/// <param name="MaxScannedBytes">Most bytes of the workspace read to find the files of one glob (from the directory it names).</param>
public sealed record ReportLimits(
    long MaxFileBytes = 16L << 20,
    long MaxTotalBytes = 64L << 20,
    int MaxFiles = 200,
    int MaxDepth = 64,
    int MaxMessageChars = 2_000,
    int MaxStackTraceChars = 8_000,
    int MaxFailures = 500,
    int MaxFindings = 2_000,
    long MaxScannedBytes = 1L << 30)
{
    public static ReportLimits Default { get; } = new();

    internal static string Bounded(string? text, int max)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var trimmed = text.Trim();
        return trimmed.Length <= max ? trimmed : trimmed[..Math.Max(0, max - 1)] + "…";
    }
}
