using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// A new run's rows inserted as plain statements (<see cref="RunRows"/>) on a real SQLite and PostgreSQL database: what the
/// model reads back is what was inserted, every job gets its own id however many statements its jobs take, and the
/// statements are the context's, in its transaction.
/// </summary>
public sealed class RunRowsTests : ScratchDatabaseTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task InsertAsync_StoresTheRunAndEveryJobAsTheModelReadsThem_WhenItsJobsTakeSeveralStatements(TestDatabase database)
    {
        var (scratch, project) = await CreateAsync(database);
        var run = NewRun(project.Id, jobs: 2 * RunRows.JobsPerStatement + 7);

        await using (var db = scratch.Context())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await RunRows.InsertAsync(db, run, CancellationToken.None);
            await transaction.CommitAsync();
        }

        await using var read = scratch.Context();
        var stored = await read.Runs.AsNoTracking().Include(r => r.Jobs).SingleAsync();
        AssertSameColumns(read, run, stored);
        Assert.Equal(run.Jobs.Count, stored.Jobs.Count);
        Assert.Equal(run.Jobs.Count, run.Jobs.Select(j => j.Id).Distinct().Count());
        var storedJobs = stored.Jobs.ToDictionary(j => j.JobId);
        foreach (var job in run.Jobs)
        {
            Assert.Equal(run.Id, job.RunId);
            AssertSameColumns(read, job, storedJobs[job.JobId]);
        }
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task InsertAsync_StoresNothing_WhenItsTransactionRollsBack(TestDatabase database)
    {
        var (scratch, project) = await CreateAsync(database);

        await using (var db = scratch.Context())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await RunRows.InsertAsync(db, NewRun(project.Id, jobs: 3), CancellationToken.None);
            await transaction.RollbackAsync();
        }

        await using var read = scratch.Context();
        Assert.Equal((0, 0), (await read.Runs.CountAsync(), await read.Jobs.CountAsync()));
    }

    [Theory]
    [InlineData(0, new int[0])]
    [InlineData(1, new[] { 1 })]
    [InlineData(7, new[] { 4, 2, 1 })]
    [InlineData(128, new[] { 128 })]
    [InlineData(263, new[] { 128, 128, 4, 2, 1 })]
    public void StatementSizes_FillsFullStatementsThenPowersOfTwo_ForAnyNumberOfJobs(int jobs, int[] sizes) =>
        Assert.Equal(sizes, RunRows.StatementSizes(jobs));

    private async Task<(ScratchDatabase Database, ProjectEntity Project)> CreateAsync(TestDatabase database)
    {
        await CreateDatabaseAsync(database, "runrows");
        return (Database, await Database.AddProjectAsync());
    }

    private static RunEntity NewRun(int projectId, int jobs)
    {
        var createdAt = new DateTimeOffset(2026, 12, 6, 14, 5, 30, 125, TimeSpan.FromHours(2)).AddTicks(4321);
        return new RunEntity
        {
            ProjectId = projectId,
            Number = 1,
            Status = "queued",
            Event = "push",
            Branch = "main",
            CommitSha = new string('a', 40),
            CommitMessage = "Ünïcode, 'quotes' and a \"name\"",
            PullRequestNumber = 17,
            FromFork = true,
            Trigger = "webhook 42",
            PlanJson = """{"jobs":[]}""",
            CreatedAt = createdAt,
            PinnedAt = createdAt.AddMinutes(1),
            Jobs = [.. Enumerable.Range(0, jobs).Select(i => new JobEntity
            {
                JobId = $"job-{i}",
                Position = i,
                Stage = i % 2 == 0 ? "build" : "test",
                Status = "queued",
                Reason = i % 3 == 0 ? null : "waits for build",
                RunsOn = i % 5 == 0 ? "linux,docker" : "",
                Ready = i % 7 == 0,
                ClaimedAt = i % 11 == 0 ? createdAt.AddSeconds(i) : null,
            })],
        };
    }

    private static void AssertSameColumns<TEntity>(PipelinerDbContext db, TEntity inserted, TEntity stored) where TEntity : class
    {
        foreach (var column in ModelTable.Of<TEntity>(db).Columns)
        {
            Assert.True(Equals(column.ValueOf(inserted), column.ValueOf(stored)),
                $"{typeof(TEntity).Name}.{column.Property.Name}: inserted {column.ValueOf(inserted)}, stored {column.ValueOf(stored)}");
        }
    }
}
