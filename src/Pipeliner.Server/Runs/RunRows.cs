using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>
/// A new run's row and its jobs' rows inserted as plain statements written once per model (<see cref="SqlRows"/>), not
/// through the change tracker: the run's <c>INSERT … RETURNING</c> gives its id, then multi-row inserts of at most
/// <see cref="JobsPerStatement"/> jobs give theirs. The rows are left untracked, their ids set, as the run's first advance
/// takes them (<see cref="Scheduling.StoredRunHandover"/>). Every run is created this way (SaveChanges inserted one row at a
/// time and fixed up the run's graph: the largest part of run creation's CPU).
/// </summary>
public static class RunRows
{
    /// <summary>The most jobs an insert statement takes: 15 parameters a job, well below either database's limit of parameters.</summary>
    public const int JobsPerStatement = 128;

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
        var inserted = 0;
        foreach (var size in StatementSizes(run.Jobs.Count))
        {
            await InsertJobsAsync(db, run.Jobs.GetRange(inserted, size), cancellationToken);
            inserted += size;
        }
    }

    /// <summary>
    /// How many jobs each statement inserts: as many full statements as fit, then the rest as powers of two, largest first
    /// (7 jobs: 4, 2, 1). A statement is written and kept once per size, so only the sizes 1, 2, 4 … 128 are ever kept.
    /// </summary>
    public static IEnumerable<int> StatementSizes(int jobs)
    {
        for (var full = 0; full < jobs / JobsPerStatement; full++) yield return JobsPerStatement;
        for (var size = JobsPerStatement / 2; size > 0; size /= 2)
        {
            if (((jobs % JobsPerStatement) & size) != 0) yield return size;
        }
    }

    private static async Task InsertJobsAsync(PipelinerDbContext db, List<JobEntity> jobs, CancellationToken cancellationToken)
    {
        var values = ModelTable.Of<JobEntity>(db).InsertedValues(jobs);
        var byName = jobs.ToDictionary(j => j.JobId, StringComparer.Ordinal);
        var returned = 0;
        await using (var reader = await InsertJobs.For(db, jobs.Count).ExecuteReaderAsync(db, values, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                byName[reader.DbDataReader.GetString(1)].Id = reader.DbDataReader.GetInt64(0);
                returned++;
            }
        }

        if (returned != jobs.Count) throw new InvalidOperationException($"the jobs' insert returned {returned} ids for {jobs.Count} jobs");
    }
}
