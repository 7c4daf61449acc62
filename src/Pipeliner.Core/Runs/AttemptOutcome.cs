namespace Pipeliner.Core.Runs;

/// <summary>How one attempt of a job ended: a value, not an exception.</summary>
public sealed record AttemptOutcome(JobStatus Status, int? ExitCode, string? Message, long? PeakMemoryBytes)
{
    public static AttemptOutcome Succeeded(long? peakMemory = null) => new(JobStatus.Succeeded, 0, null, peakMemory);

    public static AttemptOutcome Failed(int? exitCode, string message, long? peakMemory = null) =>
        new(JobStatus.Failed, exitCode, message, peakMemory);

    public static AttemptOutcome TimedOut(TimeSpan timeout, long? peakMemory = null) =>
        new(JobStatus.TimedOut, null, $"timed out after {Model.DurationText.Format(timeout)}", peakMemory);

    public static AttemptOutcome Canceled(string message = "canceled") => new(JobStatus.Canceled, null, message, null);
}
