namespace Pipeliner.Core.Model;

/// <summary>Which events create a run (the pipeline's <c>on</c>). A null trigger means the event creates no run.</summary>
public sealed record Triggers
{
    /// <summary>Branch pushes.</summary>
    public RefTrigger? Push { get; init; }

    /// <summary>Tag pushes.</summary>
    public RefTrigger? Tag { get; init; }

    /// <summary>Pull requests, filtered by their target branch.</summary>
    public RefTrigger? PullRequest { get; init; }

    public IReadOnlyList<CronSchedule> Schedules { get; init; } = [];

    public bool Manual { get; init; } = true;

    /// <summary>Without <c>on</c>: every push, tag and pull request, and manual runs.</summary>
    public static Triggers Default { get; } = new() { Push = RefTrigger.Any, Tag = RefTrigger.Any, PullRequest = RefTrigger.Any };
}

/// <summary>A ref filter: names (null = any) and changed paths (null = any).</summary>
public sealed record RefTrigger(IReadOnlyList<GlobPattern>? Refs, IReadOnlyList<GlobPattern>? Paths)
{
    public static RefTrigger Any { get; } = new(null, null);
}
