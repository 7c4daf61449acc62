using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Core.Model;
using Pipeliner.Server.Data;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// A run is planned before the transaction that stores it opens (<see cref="RunFactory.Plan"/>), and that transaction only
/// inserts (<see cref="RunFactory.StoreAsync"/>): the plan as read names the run's id everywhere, and an invalid
/// pipeline or a plan too large still becomes an invalid run with its error.
/// </summary>
public abstract class RunCreationTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    [Fact]
    public async Task Trigger_ReadsThePlanWithTheRunsId_InItsContextAndEveryJobsVariables()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.BuildAndTest));

        // Two runs: each plan, as read, names its own run, none the other's nor the placeholder it was stored with.
        foreach (var id in new[] { await client.TriggerAsync(project), await client.TriggerAsync(project) })
        {
            var json = await app.WithDbAsync(db => db.Runs.Where(r => r.Id == id).Select(r => r.PlanJson).SingleAsync());
            var plan = PlanJson.DeserializeStored(json!, id);
            Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), plan.Context.RunId);
            Assert.Equal(["build", "test"], plan.Jobs.Select(j => j.Id));
            Assert.All(plan.Jobs, job => Assert.Equal(plan.Context.RunId, job.Spec.Variables["PIPELINER_RUN_ID"]));
            Assert.DoesNotContain("run-id-", PlanTemplate.Read(json!, plan.Context.RunId), StringComparison.Ordinal);
            Assert.Equal(PlanJson.Serialize(plan), PlanTemplate.Read(json!, plan.Context.RunId));
            var response = await client.GetRunAsync(id);
            Assert.Equal(["build", "test"], response.Jobs.Select(j => j.Id));
        }
    }

    [Theory]
    [InlineData("42")]
    [InlineData("run-id-0123456789abcdef0123456789abcdef")]
    public void Read_PutsTheRunsIdInThePlan_WhetherStoredWithItOrWithAPlaceholder(string storedId)
    {
        // A name that spells the property out, escaped as JSON escapes it, comes before the context's runId.
        var stored = $$$"""{"pipelineName":"p \"runId\":\"x\"","context":{"event":"push","project":"p","runId":"{{{storedId}}}"},"jobs":[{"id":"a","variables":{"PIPELINER_RUN_ID":"{{{storedId}}}"}}]}""";

        var read = PlanTemplate.Read(stored, "42");

        Assert.Equal("""{"pipelineName":"p \"runId\":\"x\"","context":{"event":"push","project":"p","runId":"42"},"jobs":[{"id":"a","variables":{"PIPELINER_RUN_ID":"42"}}]}""", read);
        if (storedId == "42") Assert.Same(stored, read);
    }

    [Fact]
    public async Task StoreAsync_OnlyTakesANumberAndInserts_InsideItsTransaction()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.BuildAndTest));
        await using var scope = app.Services.CreateAsyncScope();
        var recorder = new CommandRecorder();
        await using var db = RecordedContext(scope.ServiceProvider, recorder);
        var factory = ActivatorUtilities.CreateInstance<RunFactory>(scope.ServiceProvider, db);
        var entity = await db.Projects.AsNoTracking().SingleAsync(p => p.Name == project);
        var trigger = new TriggerRequest { Event = EventKind.Manual, Branch = "main", Trigger = "test" };

        var ready = Assert.IsType<RunPreparation.Ready>(await factory.PrepareAsync(entity, trigger, CancellationToken.None));
        var planned = factory.Plan(ready);
        recorder.Commands.Clear();
        StoredRun stored;
        await using (var transaction = await factory.BeginStoreAsync(CancellationToken.None))
        {
            stored = await factory.StoreAsync(planned, CancellationToken.None);
            await transaction.CommitAsync();
        }

        // Not started here: the run's lock the store took for its first advance is released.
        stored.Abandon();
        var commands = recorder.Commands.ToList();
        // The project's run number (one update returning the project's row), then the run with its plan, then its two jobs in
        // one statement: no savepoints, no reads, no update of the plan after the run's insert.
        var statements = commands.SelectMany(Statements).ToList();
        Assert.Equal(["UPDATE", "INSERT", "INSERT"], statements);
        var runId = Assert.IsType<RunCreation.Created>(stored.Creation).RunId;
        var run = await client.GetRunAsync(runId);
        Assert.Equal("queued", run.Status);
        Assert.Equal(["build", "test"], run.Jobs.Select(j => j.Id));
        Assert.Equal(2, await app.WithDbAsync(d => d.Jobs.CountAsync(j => j.RunId == runId)));
    }

    [Fact]
    public async Task Trigger_StoresTheInvalidRunWithItsErrors_WhenThePipelineIsInvalid()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.Invalid));

        var run = await client.GetRunAsync(await client.TriggerAsync(project));

        Assert.Equal("invalid", run.Status);
        Assert.NotEmpty(run.Errors!);
        Assert.All(run.Errors!, error => Assert.True(error.Line >= 1, $"an error without its line: {error.Message}"));
        Assert.Empty(run.Jobs);
    }

    /// <summary>The kind (first word) of each statement in one command EF Core sent.</summary>
    private static IEnumerable<string> Statements(string sql) => sql
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(statement => statement.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0].ToUpperInvariant());

    /// <summary>A context of the server's own kind and settings that also records the text of every command it sends.</summary>
    private static PipelinerDbContext RecordedContext(IServiceProvider services, CommandRecorder recorder)
    {
        if (services.GetRequiredService<PipelinerDbContext>() is PostgresPipelinerDbContext)
        {
            return new PostgresPipelinerDbContext(new DbContextOptionsBuilder<PostgresPipelinerDbContext>(
                services.GetRequiredService<DbContextOptions<PostgresPipelinerDbContext>>()).AddInterceptors(recorder).Options);
        }

        return new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>(
            services.GetRequiredService<DbContextOptions<PipelinerDbContext>>()).AddInterceptors(recorder).Options);
    }

    /// <summary>Commands, and the savepoints EF Core makes through the transaction (not as commands), in order.</summary>
    private sealed class CommandRecorder : DbCommandInterceptor, IDbTransactionInterceptor
    {
        public List<string> Commands { get; } = [];

        InterceptionResult IDbTransactionInterceptor.CreatingSavepoint(
            System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
        {
            Commands.Add("SAVEPOINT");
            return result;
        }

        ValueTask<InterceptionResult> IDbTransactionInterceptor.CreatingSavepointAsync(
            System.Data.Common.DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken)
        {
            Commands.Add("SAVEPOINT");
            return ValueTask.FromResult(result);
        }

        // Called once for every command EF Core makes, whichever way it is then executed (reader, non-query, scalar).
        public override System.Data.Common.DbCommand CommandInitialized(CommandEndEventData eventData, System.Data.Common.DbCommand result)
        {
            Commands.Add(result.CommandText);
            return result;
        }
    }
}

/// <summary>The tests above on SQLite.</summary>
public sealed class RunCreationTests(AppWithoutAgent app) : RunCreationTests<AppWithoutAgent>(app);

/// <summary>The tests above on PostgreSQL.</summary>
[Trait("Database", "postgres")]
public sealed class RunCreationOnPostgresTests(AppWithoutAgentOnPostgres app) : RunCreationTests<AppWithoutAgentOnPostgres>(app);
