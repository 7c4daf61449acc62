using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>
/// A new run's row and its jobs' rows inserted as plain statements written once per model (<see cref="SqlRows"/>), not
/// through the change tracker: the run's <c>INSERT … RETURNING</c> gives its id, then one multi-row insert per
/// <see cref="JobsPerStatement"/> jobs gives theirs. The rows are left untracked, their ids set, as the run's first advance
/// takes them (<see cref="Scheduling.StoredRunHandover"/>). Every run is created this way (SaveChanges inserted one row at a
/// time and fixed up the run's graph: the largest part of run creation's CPU).
/// </summary>
public static class RunRows
{
    /// <summary>Jobs per insert statement: 15 parameters a job, well below either database's limit of parameters.</summary>
    public const int JobsPerStatement = 200;

    private static readonly SqlRowsPerModel InsertRun = new(sql =>
    {
        var runs = sql.Table<RunEntity>();
        return $"{sql.InsertInto(runs, 1)} RETURNING {runs.Column(nameof(RunEntity.Id)).Name}";
    });

    // The order RETURNING gives rows in is not defined (SQLite says so): each job's id comes with its name, unique in the run.
    private static readonly SqlRowsPerModel InsertJobs = new((sql, rows) =>
    {
        var jobs = sql.Table<JobEntity>();
        return $"{sql.InsertInto(jobs, rows)} RETURNING {jobs.Column(nameof(JobEntity.Id)).Name}, {jobs.Column(nameof(JobEntity.JobId)).Name}";
    });

    /// <summary>Inserts <paramref name="run"/> and its <see cref="RunEntity.Jobs"/>, and sets their ids (and the jobs' run id).</summary>
    public static async Task InsertAsync(PipelinerDbContext db, RunEntity run, CancellationToken cancellationToken)
    {
        var values = ModelTable.Of<RunEntity>(db).InsertedValues([run]);
        await using (var reader = await InsertRun.For(db).ExecuteReaderAsync(db, values, cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException("the run's insert returned no id");
            run.Id = reader.DbDataReader.GetInt64(0);
        }

        foreach (var job in run.Jobs) job.RunId = run.Id;
        foreach (var chunk in run.Jobs.Chunk(JobsPerStatement)) await InsertJobsAsync(db, chunk, cancellationToken);
    }

    private static async Task InsertJobsAsync(PipelinerDbContext db, JobEntity[] jobs, CancellationToken cancellationToken)
    {
        var values = ModelTable.Of<JobEntity>(db).InsertedValues(jobs);
        var byName = jobs.ToDictionary(j => j.JobId, StringComparer.Ordinal);
        var returned = 0;
        await using (var reader = await InsertJobs.For(db, jobs.Length).ExecuteReaderAsync(db, values, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                byName[reader.DbDataReader.GetString(1)].Id = reader.DbDataReader.GetInt64(0);
                returned++;
            }
        }

        if (returned != jobs.Length) throw new InvalidOperationException($"the jobs' insert returned {returned} ids for {jobs.Length} jobs");
    }
}
