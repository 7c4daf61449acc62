using System.Globalization;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;

namespace Pipeliner.Cli.Running;

/// <summary>The table printed after a run: job, status, attempts, duration, peak memory, and why it ended so.</summary>
internal static class RunSummary
{
    public static void Write(TextWriter output, Run run, bool colour)
    {
        string[] header = ["JOB", "STATUS", "ATTEMPTS", "DURATION", "PEAK MEMORY", "DETAIL"];
        var rows = run.Jobs.Select(j => new[]
        {
            j.Id,
            j.Status.ToName() + (j.FailureAllowed ? " (allowed)" : ""),
            j.Attempts.Count.ToString(CultureInfo.InvariantCulture),
            Duration(j),
            j.Attempts.Select(a => a.PeakMemoryBytes).Max() is { } peak ? new ByteSize(peak).ToString() : "-",
            Detail(j),
        }).ToList();
        var widths = Enumerable.Range(0, header.Length - 1).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();

        output.WriteLine();
        output.WriteLine(Line(header, widths));
        foreach (var (row, job) in rows.Zip(run.Jobs))
        {
            var line = Line(row, widths);
            output.WriteLine(colour ? Colour(job.Status) + line + "\e[0m" : line);
        }

        output.WriteLine();
        output.WriteLine($"run {run.Id}: {run.Status.ToName()}{Elapsed(run)}{ManualJobs(run)}");
    }

    private static string ManualJobs(Run run) => run.ManualJobsAvailable
        ? $", manual jobs available: {string.Join(", ", run.Jobs.Where(j => j.AwaitsApproval && !j.Status.IsFinished()).Select(j => j.Id))}"
        : "";

    private static string Detail(RunJob job) => job switch
    {
        { Status: JobStatus.Succeeded } => "",
        _ => job.Reason ?? "",
    };

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i < widths.Length ? c.PadRight(widths[i]) : c)).TrimEnd();

    private static string Duration(RunJob job) =>
        job.StartedAt is { } start && job.FinishedAt is { } end ? Format(end - start) : "-";

    private static string Elapsed(Run run) =>
        run.StartedAt is { } start && run.FinishedAt is { } end ? $" in {Format(end - start)}" : "";

    private static string Format(TimeSpan span) => span.TotalSeconds < 60
        ? span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
        : $"{(int)span.TotalMinutes}m{span.Seconds:00}s";

    private static string Colour(JobStatus status) => status switch
    {
        JobStatus.Succeeded => "\e[32m",
        JobStatus.Failed or JobStatus.TimedOut => "\e[31m",
        JobStatus.Skipped or JobStatus.Canceled => "\e[90m",
        _ => "\e[33m",
    };
}
