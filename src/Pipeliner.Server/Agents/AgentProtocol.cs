using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;

namespace Pipeliner.Server.Agents;

/// <summary>The embedded agent as it registers itself: a name, the labels jobs can ask for with <c>runs-on</c>, and its slots.</summary>
public sealed record AgentInfo(string Name, IReadOnlyList<string> Labels, int Capacity);

/// <summary>Names one attempt of one job of one run.</summary>
public sealed record AttemptKey(long RunId, string JobId, int Attempt);

/// <summary>A job handed to an agent, and how long its claim lasts unless extended.</summary>
public sealed record AgentWork(AttemptKey Key, JobAssignment Assignment, TimeSpan LeaseDuration);

/// <summary>
/// How agents and the server talk: next (long poll) → extend lease (periodically) → update / log → done.
/// The embedded agent uses the in-process implementation; remote agents make the same calls over HTTP
/// (<c>Pipeliner.Agent.Contracts</c>); both end in <see cref="AgentDispatch"/>.
/// </summary>
public interface IAgentProtocol
{
    /// <summary>A job for this agent, waiting up to <paramref name="wait"/> for one; null when none came.</summary>
    Task<AgentWork?> NextAsync(AgentInfo agent, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Keeps the claim; false means stop (the run was canceled or the attempt was given up as lost).</summary>
    Task<bool> ExtendLeaseAsync(AttemptKey key, CancellationToken cancellationToken);

    /// <summary>A progress note for live viewers (e.g. "pulling image").</summary>
    Task UpdateAsync(AttemptKey key, string note, CancellationToken cancellationToken);

    /// <summary>Log lines as they are written (already masked).</summary>
    Task LogAsync(AttemptKey key, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken);

    Task DoneAsync(AttemptKey key, JobAttemptReport report, CancellationToken cancellationToken);
}
