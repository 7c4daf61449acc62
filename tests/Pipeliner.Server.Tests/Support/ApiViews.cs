namespace Pipeliner.Server.Tests.Support;

// The API's answers as a client reads them (camelCase JSON), only the fields the tests look at.

public sealed record ProjectView(
    string Name, string Repository, string Forge, string PipelineFile, string DefaultBranch, string WebhookUrl, string? ForgeApiUrl = null,
    bool HasForgeToken = false, string? CredentialsKind = null);

public sealed record RunSummaryView(long Id, int Number, string Status, string Event, string? Branch, string? Tag, string Commit, bool ManualJobsAvailable = false);

public sealed record PageView(List<RunSummaryView> Items, int Total, int Page, int PageSize);

public sealed record RunView(
    long Id, string Project, int Number, string Status, string Event, string? Branch, string? Tag, string Commit, string Trigger,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, List<string> Stages, List<JobView> Jobs,
    List<RunErrorView>? Errors, bool ManualJobsAvailable = false, bool Pinned = false)
{
    public JobView Job(string id) => Jobs.SingleOrDefault(j => j.Id == id)
        ?? throw new Xunit.Sdk.XunitException($"run {Id} has no job '{id}'; it has {string.Join(", ", Jobs.Select(j => j.Id))}");

    public bool IsFinished => Status is "succeeded" or "failed" or "canceled" or "invalid";

    /// <summary>Finished, with manual jobs nobody started yet (starting one reopens the run).</summary>
    public bool FinishedWithManualJobs => IsFinished && ManualJobsAvailable;
}

public sealed record JobView(
    string Id, string Stage, string Status, string? Reason, List<string> Needs, bool Manual, string? ApprovedBy,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, List<AttemptView> Attempts);

public sealed record AttemptView(
    int Number, string Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int? ExitCode, string? Message, string? Agent,
    long? PeakMemoryBytes, string Log, string? Cause = null, long? CpuTimeMs = null);

public sealed record RunErrorView(int Line, int Column, string Message);

public sealed record TriggeredView(long Id, int Number, string Status);

public sealed record ArtifactView(string Name, string Job, string Path, long Size, string Sha256);

public sealed record WebhookView(string Status, string? Reason, string? Delivery);

public sealed record DeliveryView(
    long Id, string? DeliveryId, DateTimeOffset ReceivedAt, string Forge, string Event, string? Ref, string? Commit, string Outcome,
    string? Message, long? RunId, int? RunNumber, DateTimeOffset? NextAttemptAt, long? RedeliveryOf, bool Redeliverable);

public sealed record DeliveryPageView(List<DeliveryView> Items, int Total, int Page, int PageSize);
