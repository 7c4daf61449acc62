namespace Pipeliner.Core.Runs;

/// <summary>One execution of a job; a retried job has several, each with its own log.</summary>
public sealed class JobAttempt
{
    public required int Number { get; init; }
    public JobStatus Status { get; internal set; } = JobStatus.Running;
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; internal set; }
    public int? ExitCode { get; internal set; }

    /// <summary>Why it ended when the exit code alone does not say, e.g. "killed: out of memory, limit 64Mi".</summary>
    public string? Message { get; internal set; }

    public long? PeakMemoryBytes { get; internal set; }

    /// <summary>CPU time (user + system) the script used, in milliseconds, as the engine last sampled it; null when not measured.</summary>
    public long? CpuTimeMs { get; internal set; }

    /// <summary>For a failed attempt: whose fault it was (the job's own, its configuration, or a lost agent).</summary>
    public FailureCause Cause { get; internal set; }

    public string? Agent { get; init; }

    public TimeSpan? Duration => FinishedAt - StartedAt;

    /// <summary>Rebuilds an attempt from storage.</summary>
    public static JobAttempt Restore(int number, JobStatus status, DateTimeOffset startedAt, DateTimeOffset? finishedAt,
        int? exitCode, string? message, long? peakMemoryBytes, string? agent, FailureCause cause = FailureCause.Job, long? cpuTimeMs = null) => new()
    {
        Number = number,
        Status = status,
        StartedAt = startedAt,
        FinishedAt = finishedAt,
        ExitCode = exitCode,
        Message = message,
        PeakMemoryBytes = peakMemoryBytes,
        CpuTimeMs = cpuTimeMs,
        Agent = agent,
        Cause = cause,
    };
}
