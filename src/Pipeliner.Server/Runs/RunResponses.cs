using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Retention;

namespace Pipeliner.Server.Runs;

// API shapes for runs: built from entities, never the entities themselves.

public sealed record RunSummaryResponse(
    long Id, string Project, int Number, string Status, string Event, string? Branch, string? Tag, string Commit,
    string? CommitMessage, string? Author, int? PullRequest, string Trigger,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, bool ManualJobsAvailable,
    bool Pinned = false, RunExpiredResponse? Expired = null);

/// <param name="Pinned">Retention never removes a pinned run's logs or artifacts (<c>POST /api/runs/{id}/pin</c>).</param>
/// <param name="Expired">Which parts retention removed, when and why (null: nothing); the record and its statuses stay.</param>
public sealed record RunResponse(
    long Id, string Project, int Number, string Status, string Event, string? Branch, string? Tag, string Commit,
    string? CommitMessage, string? Author, int? PullRequest, string? SourceBranch, string Trigger,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, bool ManualJobsAvailable,
    IReadOnlyList<string> Stages, IReadOnlyList<JobResponse> Jobs, IReadOnlyList<RunErrorResponse>? Errors,
    bool Pinned = false, string? PinnedBy = null, DateTimeOffset? PinnedAt = null, RunExpiredResponse? Expired = null);

public sealed record JobResponse(
    string Id, string Stage, string Status, string? Reason, IReadOnlyList<string> Needs, bool Manual, bool AllowFailure,
    string? Environment, IReadOnlyList<string> RunsOn, string? ApprovedBy, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    double? DurationSeconds, IReadOnlyList<AttemptResponse> Attempts, JobApprovalResponse? Approval);

/// <summary>A requested start that needs approvals: who asked, how many approvals it needs and who gave them.</summary>
public sealed record JobApprovalResponse(string RequestedBy, int Required, IReadOnlyList<string> ApprovedBy);

/// <param name="Log">Where the attempt's log is read: the log endpoint for this attempt.</param>
/// <param name="Cause">For a failed attempt: <c>job</c> (retried while <c>retry</c> allows), <c>configuration</c> (never retried) or <c>lost</c> (its server or agent died).</param>
public sealed record AttemptResponse(
    int Number, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds,
    int? ExitCode, string? Message, long? PeakMemoryBytes, string? Agent, string Log, string? Cause, long? CpuTimeMs = null);

public sealed record RunErrorResponse(int Line, int Column, string Message);

public sealed record PagedResponse<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize);

public static class RunResponseMapping
{
    /// <summary>
    /// Only the columns a list row shows (<see cref="ToSummary"/>): not the plan's JSON, the errors or the pin's author,
    /// which a list of many runs would otherwise read and parse for every row.
    /// </summary>
    public static IQueryable<RunEntity> SummaryColumns(this IQueryable<RunEntity> runs) => runs.Select(r => new RunEntity
    {
        Id = r.Id, ProjectId = r.ProjectId, Number = r.Number, Status = r.Status, Event = r.Event, Branch = r.Branch, Tag = r.Tag,
        CommitSha = r.CommitSha, CommitMessage = r.CommitMessage, Author = r.Author, PullRequestNumber = r.PullRequestNumber,
        Trigger = r.Trigger, CreatedAt = r.CreatedAt, StartedAt = r.StartedAt, FinishedAt = r.FinishedAt,
        ManualJobsAvailable = r.ManualJobsAvailable, PinnedAt = r.PinnedAt, LogsExpiredAt = r.LogsExpiredAt, LogsExpiry = r.LogsExpiry,
        ArtifactsExpiredAt = r.ArtifactsExpiredAt, ArtifactsExpiry = r.ArtifactsExpiry,
    });

    public static RunSummaryResponse ToSummary(this RunEntity run, string project) => new(
        run.Id, project, run.Number, run.Status, run.Event, run.Branch, run.Tag, run.CommitSha, run.CommitMessage, run.Author,
        run.PullRequestNumber, run.Trigger, run.CreatedAt, run.StartedAt, run.FinishedAt, Seconds(run.StartedAt, run.FinishedAt),
        run.ManualJobsAvailable, run.PinnedAt is not null, ExpiredParts.Of(run));

    public static double? Seconds(DateTimeOffset? start, DateTimeOffset? end) =>
        start is { } s && end is { } e ? Math.Round((e - s).TotalSeconds, 3) : null;

    public static AttemptResponse ToResponse(this AttemptEntity attempt, long runId, string jobId) => new(
        attempt.Number, attempt.Status, attempt.StartedAt, attempt.FinishedAt, Seconds(attempt.StartedAt, attempt.FinishedAt),
        attempt.ExitCode, attempt.Message, attempt.PeakMemoryBytes, attempt.Agent,
        $"/api/runs/{runId}/jobs/{Uri.EscapeDataString(jobId)}/log?attempt={attempt.Number}", attempt.Cause, attempt.CpuTimeMs);
}
