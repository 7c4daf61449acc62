using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// A run is read with several statements (the run, its jobs, their attempts and approvals): another process's change
/// committed between them must not show half of it (a run still running whose last job has ended, as a replica saw).
/// </summary>
public abstract class RunReaderTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task GetAsync_ShowsTheRunAndItsJobsAsOneCommitLeftThem_WhenAChangeCommitsBetweenItsStatements()
    {
        var label = "reader" + Guid.NewGuid().ToString("N")[..8];
        using var client = app.Client();
        var runId = await client.TriggerJobForLabelAsync(app, label);
        var before = await client.WaitForJobAsync(runId, "build", "pending");
        // Another process ends the job and the run in one commit, after the reader's first statement (the run's row).
        var change = new CommitBeforeTheSecondStatement(() => app.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Jobs.Where(j => j.RunId == runId).ExecuteUpdateAsync(set => set.SetProperty(j => j.Status, "canceled"));
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(set => set.SetProperty(r => r.Status, "canceled"));
            await transaction.CommitAsync();
        }));

        RunResponse? read;
        await using (var db = NewContext(change))
            read = await new RunReader(db, app.Services.GetRequiredService<IDatabaseProvider>()).GetAsync(runId, CancellationToken.None);

        Assert.True(change.Committed, "the change was not made between the reader's statements");
        Assert.NotNull(read);
        Assert.Equal((before.Status, "pending"), (read.Status, read.Jobs.Single().Status));
        Assert.Equal(("canceled", "canceled"), ((await client.GetRunAsync(runId)).Status, (await client.GetRunAsync(runId)).Job("build").Status));
    }

    /// <summary>A context of its own on the server's database, with <paramref name="interceptor"/>.</summary>
    private PipelinerDbContext NewContext(IInterceptor interceptor) => app.Database == TestDatabase.Postgres
        ? new PostgresPipelinerDbContext(new DbContextOptionsBuilder<PostgresPipelinerDbContext>()
            .UseNpgsql(app.DatabaseSettings["ConnectionStrings:Pipeliner"]).AddInterceptors(interceptor).Options)
        : new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>()
            .UseSqlite($"Data Source={Path.Combine(app.DataDir, "pipeliner.db")}").AddInterceptors(interceptor).Options);

    /// <summary>Runs <paramref name="change"/> to its commit just before the second query of the context starts.</summary>
    private sealed class CommitBeforeTheSecondStatement(Func<Task> change) : DbCommandInterceptor
    {
        private int _readers;

        public bool Committed { get; private set; }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (++_readers == 2)
            {
                await change();
                Committed = true;
            }

            return result;
        }
    }
}

public sealed class RunReaderTests(AppWithoutAgent app) : RunReaderTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class RunReaderOnPostgresTests(AppWithoutAgentOnPostgres app) : RunReaderTests<AppWithoutAgentOnPostgres>(app);
