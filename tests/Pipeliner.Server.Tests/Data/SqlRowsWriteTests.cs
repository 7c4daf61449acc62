using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// A hot path's conditional write as plain SQL (<see cref="SqlRows"/>) (a claim's take of a job's ready flag, a delivery's settle): the model's
/// names, its stored form of a time and a null value work the same on SQLite and PostgreSQL, and the condition decides
/// what is written, as an <c>ExecuteUpdate</c> would.
/// </summary>
public abstract class SqlRowsWriteTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly SqlRowsPerModel TakeWithHold = new(sql =>
    {
        var jobs = sql.Table<JobEntity>();
        var (ready, claimedAt, hold, id) = (jobs.Column(nameof(JobEntity.Ready)), jobs.Column(nameof(JobEntity.ClaimedAt)),
            jobs.Column(nameof(JobEntity.HoldReason)), jobs.Column(nameof(JobEntity.Id)));
        return $"UPDATE {jobs.Name} SET {ready.Name} = {sql.Parameter(ready)}, {claimedAt.Name} = {sql.Parameter(claimedAt)}, " +
               $"{hold.Name} = {sql.Parameter(hold)} WHERE {id.Name} = {sql.Parameter(id)} AND {ready.Name}";
    });

    [Fact]
    public async Task ExecuteNonQueryAsync_WritesTheRowOnlyWhileItsConditionHolds_WithTheModelsTimesAndNulls()
    {
        var label = "sql" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client();
        var runId = await client.TriggerJobForLabelAsync(app, label);
        await client.WaitForJobAsync(runId, "build", "pending");
        var jobId = await app.WithDbAsync(db => db.Jobs.Where(j => j.RunId == runId).Select(j => j.Id).SingleAsync());
        await app.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.HoldReason, "held")));
        var takenAt = new DateTimeOffset(2026, 12, 6, 10, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);

        var first = await app.WithDbAsync(db => TakeWithHold.For(db).ExecuteNonQueryAsync(db, [false, takenAt, null, jobId], CancellationToken.None));
        var second = await app.WithDbAsync(db => TakeWithHold.For(db).ExecuteNonQueryAsync(db, [false, takenAt.AddHours(1), "again", jobId], CancellationToken.None));

        Assert.Equal((1, 0), (first, second));
        var job = await app.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.False(job.Ready);
        Assert.Equal(takenAt, job.ClaimedAt);
        Assert.Null(job.HoldReason);
    }
}

public sealed class SqlRowsWriteTests(AppWithoutAgent app) : SqlRowsWriteTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class SqlRowsWriteOnPostgresTests(AppWithoutAgentOnPostgres app) : SqlRowsWriteTests<AppWithoutAgentOnPostgres>(app);
