using System.Collections.Concurrent;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Agents;

/// <summary>
/// The rows of the attempts agents are carrying out, as the coordinator last saved them, so that an agent's calls about its
/// attempt (log batches, its log's length, heartbeats, its end) do not each read the row for their fencing. Only the
/// coordinator writes an attempt's status, agent, credential and log (<see cref="Scheduling.RunCoordinator"/>), under the
/// run's lock, and it notes here every attempt of the jobs each change saved, once saved: a row is kept while its attempt
/// is the job's running one and dropped by the change that ends, cancels or replaces it. A call finds the row here or
/// reads it (<see cref="AttemptAccess.FindAsync"/>); what it writes stays guarded by the database (the heartbeat's
/// conditional update, the end's change under the run's lock). Single-node databases only: with replicas
/// (<see cref="IDatabaseProvider.SupportsReplicas"/>) another server may end the attempt, and every call reads the row.
/// </summary>
public sealed class CurrentAttemptRows(IDatabaseProvider database)
{
    private readonly ConcurrentDictionary<long, AttemptRow> _rows = new();

    /// <summary>The attempt's row as the coordinator saved it while it is the job's running attempt; null otherwise (read it).</summary>
    public AttemptRow? Find(long attemptId) => _rows.TryGetValue(attemptId, out var row) ? row : null;

    /// <summary>Notes the attempts of <paramref name="job"/>, just saved by the coordinator holding the run's lock.</summary>
    public void Saved(long runId, JobEntity job)
    {
        if (database.SupportsReplicas || job.Attempts.Count == 0) return;
        var newest = job.Attempts.Max(a => a.Number);
        foreach (var attempt in job.Attempts)
        {
            var row = new AttemptRow(attempt.Id, runId, job.JobId, attempt.Number, attempt.Status, attempt.Cause, attempt.Agent,
                attempt.LogPath, attempt.CredentialHash, newest);
            if (row.Current && attempt.Id > 0) _rows[attempt.Id] = row;
            else _rows.TryRemove(attempt.Id, out _);
        }
    }
}
