namespace Pipeliner.Core.Runs;

/// <summary>The life of a job in a run. Stored and shown as lower-case snake_case names.</summary>
public enum JobStatus
{
    Queued,
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Canceled,
    Skipped,
}

/// <summary>The life of a run.</summary>
public enum RunStatus
{
    Queued,
    Running,
    /// <summary>Nothing runs any more but manual jobs wait for a person.</summary>
    Waiting,
    Succeeded,
    Failed,
    Canceled,
    /// <summary>The pipeline file was invalid; the run carries the errors.</summary>
    Invalid,
}

public static class StatusNames
{
    public static string ToName(this JobStatus status) => status switch
    {
        JobStatus.TimedOut => "timed_out",
        _ => status.ToString().ToLowerInvariant(),
    };

    public static string ToName(this RunStatus status) => status.ToString().ToLowerInvariant();

    public static JobStatus ParseJobStatus(string name) =>
        Enum.GetValues<JobStatus>().First(s => s.ToName() == name);

    public static RunStatus ParseRunStatus(string name) =>
        Enum.GetValues<RunStatus>().First(s => s.ToName() == name);

    public static bool IsFinished(this JobStatus status) =>
        status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.TimedOut or JobStatus.Canceled or JobStatus.Skipped;

    public static bool IsFinished(this RunStatus status) =>
        status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Canceled or RunStatus.Invalid;
}
