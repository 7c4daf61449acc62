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
    private readonly ConcurrentDictionary<long, AttemptWith<AttemptSource>> _rows = new();

    /// <summary>The attempt's row as the coordinator saved it while it is the job's running attempt; null otherwise (read it).</summary>
    public AttemptRow? Find(long attemptId) => _rows.TryGetValue(attemptId, out var found) ? found.Row : null;

    /// <summary><see cref="Find"/> with its run's commit and project, for the source download.</summary>
    public AttemptWith<AttemptSource>? FindWithSource(long attemptId) => _rows.TryGetValue(attemptId, out var found) ? found : null;

    /// <summary>Notes the attempts of <paramref name="job"/> of <paramref name="run"/>, just saved by the coordinator holding the run's lock.</summary>
    public void Saved(RunEntity run, JobEntity job)
    {
        if (database.SupportsReplicas || job.Attempts.Count == 0) return;
        var newest = job.Attempts.Max(a => a.Number);
        foreach (var attempt in job.Attempts)
        {
            var row = new AttemptRow(attempt.Id, run.Id, job.JobId, attempt.Number, attempt.Status, attempt.Cause, attempt.Agent,
                attempt.LogPath, attempt.CredentialHash, newest);
            if (row.Current && attempt.Id > 0 && run.Project is { } project)
                _rows[attempt.Id] = new AttemptWith<AttemptSource>(row, new AttemptSource(run.CommitSha, project.Name, project.Repository));
            else _rows.TryRemove(attempt.Id, out _);
        }
    }
}

/// <summary>What an attempt's source download needs of its run: the commit and the project's name and repository.</summary>
public sealed record AttemptSource(string CommitSha, string Project, string Repository);
