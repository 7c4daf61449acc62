using System.Globalization;

namespace Pipeliner.Agent.Contracts;

/// <summary>
/// The agent endpoints, relative to the server's address. Agent credentials reach these only (and user tokens never
/// do). Calls about an attempt name its id; a call for an attempt that is no longer the job's running one gets 409.
/// </summary>
public static class AgentRoutes
{
    public const string Prefix = "/api/agent";

    /// <summary>POST <see cref="RegisterAgentRequest"/> with the registration token → 201 <see cref="RegisterAgentResponse"/>.</summary>
    public const string Register = Prefix + "/register";

    /// <summary>POST <see cref="AgentHello"/> → 200 <see cref="AgentWelcome"/>.</summary>
    public const string Hello = Prefix + "/hello";

    /// <summary>POST, long poll (<c>?wait=seconds</c>, at most 30) → 200 <see cref="AgentAssignment"/> or 204.</summary>
    public const string Next = Prefix + "/jobs/next";

    /// <summary>Header with the attempt credential on downloads and uploads (the agent credential stays in Authorization).</summary>
    public const string AttemptCredentialHeader = "X-Pipeliner-Attempt";

    /// <summary>Header with an upload's SHA-256, checked by the server against the bytes it received.</summary>
    public const string Sha256Header = "X-Pipeliner-Sha256";

    /// <summary>The most log bytes one append may carry.</summary>
    public const int MaxLogBatchBytes = 1 << 20;

    /// <summary>The most log bytes the end (<see cref="AttemptDone.LogTail"/>) may carry; a longer rest goes by <see cref="Log"/>.</summary>
    public const int MaxDoneLogTailBytes = 64 * 1024;

    /// <summary>The largest commit tree an assignment carries itself (<see cref="AgentAssignment.SourceTar"/>); a larger one is downloaded.</summary>
    public const int MaxInlineSourceBytes = 32 * 1024;

    public static string Attempt(long attemptId) => $"{Prefix}/attempts/{attemptId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>POST → 200 <see cref="HeartbeatAnswer"/>.</summary>
    public static string Heartbeat(long attemptId) => Attempt(attemptId) + "/heartbeat";

    /// <summary>GET → <see cref="LogPosition"/>; POST <c>?offset=N</c> with bytes → <see cref="LogPosition"/>, or 416 with the server's position.</summary>
    public static string Log(long attemptId) => Attempt(attemptId) + "/log";

    /// <summary>POST <see cref="AttemptDone"/> → 200 <see cref="DoneAnswer"/> (with the slot's next job when it asks for one).</summary>
    public static string Done(long attemptId) => Attempt(attemptId) + "/done";

    /// <summary>GET → a tar of the commit's tree (attempt credential).</summary>
    public static string Source(long attemptId) => Attempt(attemptId) + "/source.tar";

    /// <summary>PUT a tar → 204 (attempt credential, <see cref="Sha256Header"/>).</summary>
    public static string UploadArtifact(long attemptId, int index) =>
        Attempt(attemptId) + "/uploads/artifacts/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>PUT a tar → 204 (attempt credential, <see cref="Sha256Header"/>).</summary>
    public static string UploadCache(long attemptId, int index) =>
        Attempt(attemptId) + "/uploads/cache/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>PUT a tar → 204 (attempt credential, <see cref="Sha256Header"/>): the archive of the job's report files.</summary>
    public static string UploadReports(long attemptId, int index) =>
        Attempt(attemptId) + "/uploads/reports/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>GET → the tar of an artifact of a job the attempt needs (attempt credential).</summary>
    public static string Artifact(long attemptId, string jobId, int index) =>
        Attempt(attemptId) + "/artifacts/" + Uri.EscapeDataString(jobId) + "/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>GET → the tar of one archive of the cache the attempt restores (attempt credential).</summary>
    public static string Cache(long attemptId, int index) => Attempt(attemptId) + "/cache/" + index.ToString(CultureInfo.InvariantCulture);
}
