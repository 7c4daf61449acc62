namespace Pipeliner.Core.Runs;

/// <summary>How one attempt of a job ended: a value, not an exception.</summary>
/// <param name="Cause">For a failure: whose fault it was, which decides whether the job's <c>retry</c> applies.</param>
public sealed record AttemptOutcome(JobStatus Status, int? ExitCode, string? Message, long? PeakMemoryBytes, FailureCause Cause = FailureCause.Job)
{
    /// <summary>CPU time (user + system) the job's script used, in milliseconds, as the engine last sampled it; null when not measured.</summary>
    public long? CpuTimeMs { get; init; }

    public static AttemptOutcome Succeeded(long? peakMemory = null) => new(JobStatus.Succeeded, 0, null, peakMemory);

    public static AttemptOutcome Failed(int? exitCode, string message, long? peakMemory = null) =>
        new(JobStatus.Failed, exitCode, message, peakMemory);

    /// <summary>The job cannot run as set up (a secret missing, an image not found): failed at once, never retried.</summary>
    public static AttemptOutcome Misconfigured(string message) => new(JobStatus.Failed, null, message, null, FailureCause.Configuration);

    public static AttemptOutcome TimedOut(TimeSpan timeout, long? peakMemory = null) =>
        new(JobStatus.TimedOut, null, $"timed out after {Model.DurationText.Format(timeout)}", peakMemory);

    public static AttemptOutcome Canceled(string message = "canceled") => new(JobStatus.Canceled, null, message, null);
}

/// <summary>Why an attempt failed: the job's <c>retry</c> is for the job's own failures only.</summary>
public enum FailureCause
{
    /// <summary>The job itself failed (its script's exit code, a timeout, out of memory): retried while <c>retry</c> allows.</summary>
    Job,

    /// <summary>The job cannot run as set up (a secret missing, an image not found): retrying cannot help, so it never is.</summary>
    Configuration,

    /// <summary>
    /// The server or agent running it died: not the job's failure, so it is queued again without using up <c>retry</c>,
    /// a bounded number of times in a row (<see cref="RunJob.MarkLost"/>).
    /// </summary>
    Lost,
}

public static class FailureCauseNames
{
    public static string ToName(this FailureCause cause) => cause.ToString().ToLowerInvariant();

    public static FailureCause ParseFailureCause(string? name) =>
        Enum.GetValues<FailureCause>().FirstOrDefault(c => c.ToName() == name, FailureCause.Job);
}
