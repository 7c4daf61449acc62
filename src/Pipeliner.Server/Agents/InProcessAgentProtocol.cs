using System.Text.Json;
using Pipeliner.Engine.Execution;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Reports;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The agent protocol's in-process transport, for the embedded agent: the same <see cref="AgentDispatch"/> as the HTTP
/// endpoints (claims, leases, the recording of an attempt's end). The embedded agent runs on the server's own disk, so
/// its workspace comes from the server's mirror; its artifacts and cache are written in place with the file stores, and
/// go through the stores otherwise (<see cref="EmbeddedAgentArchives"/>); its log lines are stored through
/// <see cref="ILogStore"/>, as a remote agent's are.
/// </summary>
public sealed class InProcessAgentProtocol(
    AgentDispatch dispatch, AgentDirectory directory, IRunEvents events, ILogStore logs, DataLayout layout, LogMasking masking, ReportRecorder reports)
    : IAgentProtocol
{
    public async Task<AgentWork?> NextAsync(AgentInfo agent, TimeSpan wait, CancellationToken cancellationToken)
    {
        await directory.EnsureEmbeddedAsync(agent, cancellationToken);
        if (await dispatch.NextAsync(agent.Name, wait, cancellationToken) is not { } claimed) return null;
        var wire = claimed.Assignment;
        var assignment = new JobAssignment
        {
            RunId = RunStore.RunKey(wire.RunId),
            Project = wire.Project,
            Repository = claimed.Repository,
            CommitSha = wire.CommitSha,
            Job = wire.Job,
            Attempt = wire.Attempt,
            ArtifactSources = claimed.ArtifactSources,
            CacheScopes = claimed.CacheScopes,
            Secrets = wire.Secrets,
            MaskedValues = wire.MaskedValues,
            SecretsWithheldReason = wire.SecretsWithheldReason,
        };
        return new AgentWork(claimed.Key, assignment, dispatch.Lease);
    }

    public async Task<bool> ExtendLeaseAsync(AttemptKey key, CancellationToken cancellationToken) =>
        await dispatch.ExtendLeaseAsync(key, cancellationToken) is not null;

    public Task UpdateAsync(AttemptKey key, string note, CancellationToken cancellationToken)
    {
        if (events.IsWatched(key.RunId))
            events.Publish(key.RunId, "note", JsonSerializer.Serialize(new { job = key.JobId, attempt = key.Attempt, note }, JsonSerializerOptions.Web));
        return Task.CompletedTask;
    }

    public async Task LogAsync(AttemptKey key, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        // Stored as a remote agent's lines are, through the log store (already masked); the runner writes no file of its own.
        await logs.AppendAsync(LogRef.For(layout, key.RunId, key.JobId, key.Attempt), lines, cancellationToken);
        await LiveLog.PublishAsync(events, masking, key, lines, cancellationToken);
    }

    public async Task DoneAsync(AttemptKey key, JobAttemptReport report, CancellationToken cancellationToken)
    {
        try
        {
            // The reports are in place (written by the job runner): stored before the end, which the commit status reports.
            if (report.Reports.Count > 0) await reports.RecordAsync(key, cancellationToken);
            await dispatch.RecordDoneAsync(key, report.Outcome, report.Artifacts, cancellationToken);
        }
        finally
        {
            // The embedded agent handed over its last line before reporting: the log is final.
            await logs.CompleteAsync(LogRef.For(layout, key.RunId, key.JobId, key.Attempt), CancellationToken.None);
        }
    }
}

/// <summary>Log lines to the run's live viewers (server-sent events), from whichever transport brought them, masked as every read is.</summary>
public static class LiveLog
{
    public static async Task PublishAsync(IRunEvents events, LogMasking masking, AttemptKey key, IReadOnlyList<LogLine> lines, CancellationToken cancellationToken)
    {
        if (!events.IsWatched(key.RunId)) return;
        foreach (var line in lines)
        {
            var text = await masking.MaskLineAsync(key.RunId, line.Text, cancellationToken);
            events.Publish(key.RunId, "log",
                JsonSerializer.Serialize(new { job = key.JobId, attempt = key.Attempt, time = line.Timestamp, text }, JsonSerializerOptions.Web));
        }
    }
}
