using Pipeliner.Core.Runs;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>What a commit status says, before each forge's own words for it (see <see cref="ForgeStatusRequests"/>).</summary>
public enum CommitState
{
    Pending,
    Running,
    Success,
    Failure,
    Canceled,

    /// <summary>A job skipped after it had been reported: reported as a success that says "skipped" (no forge blocks on it).</summary>
    Skipped,

    /// <summary>
    /// A manual job nobody started in a run that finished without it: reported as a success that says "manual", so that
    /// it blocks no merge (a <c>blocking</c> manual job keeps its run waiting instead).
    /// </summary>
    Manual,
}

public static class CommitStates
{
    public static string ToName(this CommitState state) => state.ToString().ToLowerInvariant();

    public static CommitState Parse(string name) => Enum.GetValues<CommitState>().First(s => s.ToName() == name);

    public static CommitState Of(RunStatus status) => status switch
    {
        RunStatus.Queued or RunStatus.Waiting => CommitState.Pending,
        RunStatus.Running => CommitState.Running,
        RunStatus.Succeeded => CommitState.Success,
        RunStatus.Canceled => CommitState.Canceled,
        _ => CommitState.Failure,
    };

    public static CommitState Of(JobStatus status) => status switch
    {
        JobStatus.Queued or JobStatus.Pending => CommitState.Pending,
        JobStatus.Running => CommitState.Running,
        JobStatus.Succeeded => CommitState.Success,
        JobStatus.Canceled => CommitState.Canceled,
        JobStatus.Skipped => CommitState.Skipped,
        _ => CommitState.Failure,
    };
}
