namespace Pipeliner.Server.Retention;

// API shapes of retention: a project's policy, a pass's report, a run's pin.

/// <summary>
/// <c>GET /api/projects/{project}/retention</c>: the project's policy in the shape <c>PUT</c> takes (top-level limits for
/// the runs' logs and artifacts; <c>artifacts</c> and <c>caches</c> when they differ), where it comes from
/// (<c>project</c>: its own; <c>server</c>: the server's default) and the limits in effect for each kind.
/// </summary>
public sealed record RetentionResponse(
    string Project, string Source, int? KeepLastPerBranch, int? MaxAgeDays, string? MaxSize,
    RetentionLimitsJson? Artifacts, RetentionLimitsJson? Caches, EffectiveRetentionResponse Effective);

public sealed record EffectiveRetentionResponse(RetentionLimitsJson Logs, RetentionLimitsJson Artifacts, RetentionLimitsJson Caches);

/// <summary>A run whose logs and/or artifacts go (or went): why (null: that part stays) and the bytes on disk.</summary>
public sealed record RetentionRunItem(
    long RunId, string Project, int Number, string? Branch, DateTimeOffset? FinishedAt,
    string? Logs, long LogBytes, string? Artifacts, long ArtifactBytes);

/// <summary>A cache that goes (or went): its project, scope and key as stored, when it was saved, its bytes and why.</summary>
public sealed record RetentionCacheItem(string Project, string Scope, string Key, DateTimeOffset SavedAt, long Bytes, string Reason);

/// <summary>Counts and bytes: runs that lose anything, runs whose logs go, whose artifacts go, caches; all bytes.</summary>
public sealed record RetentionTotals(int Runs, int Logs, long LogBytes, int Artifacts, long ArtifactBytes, int Caches, long CacheBytes, long Bytes);

/// <summary>
/// The answer of <c>POST /api/retention/preview</c> (what a pass would remove now, <see cref="Applied"/> false) and of
/// <c>POST /api/retention/apply</c> (what it removed, bytes as freed). <see cref="Runs"/> and <see cref="Caches"/> list at
/// most <c>limit</c> items each (<see cref="Truncated"/>); the totals count everything.
/// </summary>
public sealed record RetentionReport(
    bool Applied, DateTimeOffset At, long TookMs, RetentionTotals Totals, IReadOnlyList<RetentionRunItem> Runs,
    IReadOnlyList<RetentionCacheItem> Caches, bool Truncated, long SearchIndexBytesFreed);

public sealed record RunPinResponse(long Id, bool Pinned, string? PinnedBy, DateTimeOffset? PinnedAt);
