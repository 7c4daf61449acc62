using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// A hot path's conditional write as plain SQL (a claim's take of a job's ready flag, a delivery's settle): the model's
/// names, its stored form of a time and a null value work the same on SQLite and PostgreSQL, and the condition decides
/// what is written, as an <c>ExecuteUpdate</c> would.
/// </summary>
public abstract class SqlPerModelTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private static readonly SqlPerModel TakeWithHold = new(names =>
        $"UPDATE {names.Table<JobEntity>()} SET {names.Column<JobEntity>(nameof(JobEntity.Ready))} = {{0}}, " +
        $"{names.Column<JobEntity>(nameof(JobEntity.ClaimedAt))} = {{1}}, {names.Column<JobEntity>(nameof(JobEntity.HoldReason))} = {{2}} " +
        $"WHERE {names.Column<JobEntity>(nameof(JobEntity.Id))} = {{3}} AND {names.Column<JobEntity>(nameof(JobEntity.Ready))}");

    [Fact]
    public async Task ExecuteAsync_WritesTheRowOnlyWhileItsConditionHolds_WithTheModelsTimesAndNulls()
    {
        var label = "sql" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client();
        var runId = await client.TriggerJobForLabelAsync(app, label);
        await client.WaitForJobAsync(runId, "build", "pending");
        var jobId = await app.WithDbAsync(db => db.Jobs.Where(j => j.RunId == runId).Select(j => j.Id).SingleAsync());
        await app.WithDbAsync(db => db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(set => set.SetProperty(j => j.HoldReason, "held")));
        var takenAt = new DateTimeOffset(2026, 12, 6, 10, 30, 15, 123, TimeSpan.FromHours(2)).AddTicks(4567);

        var first = await app.WithDbAsync(db => TakeWithHold.ExecuteAsync(db, CancellationToken.None, false, DateTimeOffsetToTicksConverter.ToStored(takenAt), null, jobId));
        var second = await app.WithDbAsync(db => TakeWithHold.ExecuteAsync(db, CancellationToken.None, false, DateTimeOffsetToTicksConverter.ToStored(takenAt.AddHours(1)), "again", jobId));

        Assert.Equal((1, 0), (first, second));
        var job = await app.WithDbAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId));
        Assert.False(job.Ready);
        Assert.Equal(takenAt, job.ClaimedAt);
        Assert.Null(job.HoldReason);
    }
}

public sealed class SqlPerModelTests(AppWithoutAgent app) : SqlPerModelTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class SqlPerModelOnPostgresTests(AppWithoutAgentOnPostgres app) : SqlPerModelTests<AppWithoutAgentOnPostgres>(app);
