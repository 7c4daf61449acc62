using Pipeliner.Core.Planning;

namespace Pipeliner.Agent.Contracts;

/// <summary>First contact: the registration token goes in <c>Authorization: Bearer</c>; the answer carries the agent's own credential.</summary>
public sealed record RegisterAgentRequest(string Name, IReadOnlyList<string> Labels, int Capacity, string Version);

/// <param name="Credential">The agent's own credential (shown once, stored hashed by the server), for every later call.</param>
public sealed record RegisterAgentResponse(string Name, string Credential);

/// <summary>Sent when an agent (re)starts with its credential: what it offers now. Attempts it held before are given up.</summary>
public sealed record AgentHello(IReadOnlyList<string> Labels, int Capacity, string Version);

/// <param name="LeaseSeconds">How long a claim lasts without a heartbeat.</param>
/// <param name="AbandonedAttempts">Attempts the server had given this agent that are now recorded lost (the agent restarted).</param>
public sealed record AgentWelcome(string Name, int LeaseSeconds, int AbandonedAttempts);

/// <summary>
/// One attempt of one job handed to an agent that now holds its lease. Names and ids only: the agent fetches the
/// source, the artifacts of the job's needs and its cache from the server with <see cref="AttemptCredential"/>.
/// </summary>
public sealed record AgentAssignment
{
    /// <summary>The attempt's id on the server: every later call about it names it.</summary>
    public required long AttemptId { get; init; }

    public required long RunId { get; init; }
    public required string Project { get; init; }
    public required string CommitSha { get; init; }
    public required PlannedJob Job { get; init; }

    /// <summary>The attempt number within the job (1, 2, …): writes are fenced by it.</summary>
    public required int Attempt { get; init; }

    public required int LeaseSeconds { get; init; }

    /// <summary>A credential for this attempt's downloads and uploads only; it stops working when the attempt ends.</summary>
    public required string AttemptCredential { get; init; }

    /// <summary>The artifacts of the jobs this one needs, restored in this order.</summary>
    public IReadOnlyList<ArchiveReference> Artifacts { get; init; } = [];

    /// <summary>The job's cache: the archives of the first scope that holds its key (none when no scope does).</summary>
    public IReadOnlyList<ArchiveReference> Cache { get; init; } = [];

    /// <summary>The scope <see cref="Cache"/> came from, for the job's log; null when nothing is restored.</summary>
    public string? CacheRestoredFrom { get; init; }

    /// <summary>Scopes looked at for the cache, in order (for the job's log when none held it).</summary>
    public IReadOnlyList<string> CacheRestoreScopes { get; init; } = [];

    /// <summary>The scope the job's cache is saved to.</summary>
    public required string CacheSaveScope { get; init; }

    /// <summary>Values of the secrets the job lists (they become its environment variables).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>Every value to mask in the job's log, whether the job lists it or not.</summary>
    public IReadOnlyList<string> MaskedValues { get; init; } = [];

    public string? SecretsWithheldReason { get; init; }

    /// <summary>
    /// The commit's tree as the tar <see cref="AgentRoutes.Source"/> answers, when the server holds it already and it is
    /// at most <see cref="AgentRoutes.MaxInlineSourceBytes"/>: the agent needs no download for it (one call per job fewer).
    /// Null: download it. Optional both ways: an older agent ignores it and downloads; an older server sends none.
    /// </summary>
    public byte[]? SourceTar { get; init; }
}

/// <summary>
/// One archive on the server: a job's artifact or a cache entry. <paramref name="Url"/> is relative to the server
/// (download it with the attempt's credential); <paramref name="Sha256"/> is checked before it is restored.
/// </summary>
public sealed record ArchiveReference(string Path, string Url, long Size, string Sha256);

/// <param name="Cancel">Stop the job: the run was canceled or the attempt was given up.</param>
public sealed record HeartbeatAnswer(bool Cancel, DateTimeOffset LeaseExpiresAt);

/// <summary>Where the server has got to in an attempt's log (bytes of the agent's log it has).</summary>
public sealed record LogPosition(long Length);

/// <summary>An archive the agent uploaded for the attempt (artifact, cache or reports), named by its index in the upload.</summary>
public sealed record UploadedArchive(string Path, int Index, long Size, string Sha256);

/// <summary>
/// The attempt's end. Sent until acknowledged; sending it again after it was recorded changes nothing.
/// </summary>
/// <param name="Status">succeeded, failed, timed_out or canceled.</param>
/// <param name="Cause">For a failure: job, configuration (not retried) or null.</param>
/// <param name="LogLength">The full length of the agent's log: the server must have all of it.</param>
/// <param name="LogSha256">The SHA-256 of the agent's whole log, as it sent it.</param>
/// <param name="CpuTimeMs">CPU time the script used (user + system, milliseconds) as the engine sampled it; optional (older agents leave it out).</param>
/// <param name="Reports">
/// The archive of the job's test and static analysis report files (<c>reports:</c>), uploaded like artifacts but
/// whatever the status (reports matter most when tests failed); the server reads them itself. Null or empty: none.
/// </param>
/// <param name="LogTail">
/// The log's last lines not yet sent (whole lines, at most <see cref="AgentRoutes.MaxDoneLogTailBytes"/>), appended at
/// <paramref name="LogTailOffset"/> before the end is checked, as a log append there would: a short job's end and its last
/// lines in one call. At another offset they are not stored, and the end is refused (422) if the log is then incomplete.
/// Optional: null when every line went by <see cref="AgentRoutes.Log"/> (a server that ignores it answers 422, and the
/// agent sends the rest by offset).
/// </param>
/// <param name="WantsNext">
/// The slot that ran the attempt is free for another job: the server claims one for this agent as
/// <see cref="AgentRoutes.Next"/> would without waiting (same labels, capacity and lease) and sends it in
/// <see cref="DoneAnswer.Next"/>, which saves the agent the <see cref="AgentRoutes.Next"/> call after each job. Optional
/// (older agents leave it out and get nothing); an older server ignores it, and the agent then polls as before.
/// </param>
public sealed record AttemptDone(
    string Status, int? ExitCode, string? Message, string? Cause, long? PeakMemoryBytes,
    long LogLength, string LogSha256,
    IReadOnlyList<UploadedArchive> Artifacts, IReadOnlyList<UploadedArchive> Cache, long? CpuTimeMs = null,
    IReadOnlyList<UploadedArchive>? Reports = null, byte[]? LogTail = null, long? LogTailOffset = null, bool WantsNext = false);

/// <param name="Recorded">The server recorded this outcome now, or had already.</param>
/// <param name="Next">
/// Asked for with <see cref="AttemptDone.WantsNext"/>: the job the server claimed for the agent's free slot, leased to it
/// as an answer of <see cref="AgentRoutes.Next"/> is; null when none was ready (the agent polls <see cref="AgentRoutes.Next"/>).
/// An answer lost on the way loses no job: the claim's lease runs out unextended, and the job is retried like any other.
/// </param>
public sealed record DoneAnswer(bool Recorded, AgentAssignment? Next = null);
