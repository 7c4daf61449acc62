using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Logs.Search;

/// <summary>The runs this process created, as the log index records them: noted at creation, not read back to seal their logs.</summary>
public abstract class IndexedRunsTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private readonly RunSeed _seed = new(app);

    [Fact]
    public async Task RunCreation_NotesTheRun_AsTheDatabaseReadsItBack()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.BuildAndTest));

        var runId = await client.TriggerAsync(project);

        var noted = app.Services.GetRequiredService<IndexedRuns>().Find(runId);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var read = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new IndexedRun(r.ProjectId, r.Project!.Name, r.Branch, r.Number, r.CreatedAt)).SingleAsync();
        Assert.Equal(read, noted);
    }

    [Fact]
    public async Task SealAllLogs_IndexesANotedRun_AsNotedWithoutReadingIt()
    {
        var token = $"tok{Guid.NewGuid():N}"[..16];
        var project = await _seed.ProjectAsync();
        // Ended an hour ago: past the grace in which a remote agent may still send its last lines.
        var run = await _seed.FinishedRunAsync(project, "failed", "main", DateTimeOffset.UtcNow.AddHours(-1), ("build", [$"error {token}"]));
        // Noted with another branch than stored: the index can only have it from the note.
        run.Branch = $"noted-{token}";
        app.Services.GetRequiredService<IndexedRuns>().Note(run, project.Name);

        await app.SealAllLogsAsync();

        var response = await app.Client().GetAsync($"/api/search/logs?q={token}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var match = Assert.Single((await response.Content.ReadFromJsonAsync<RunLogSearchResponse>())!.Matches);
        Assert.Equal((run.Id, project.Name, run.Number, $"noted-{token}", "build"), (match.RunId, match.Project, match.Number, match.Branch, match.Job));
    }
}

public sealed class IndexedRunsOnSqliteTests(AppWithoutAgent app) : IndexedRunsTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class IndexedRunsOnPostgresTests(AppWithoutAgentOnPostgres app) : IndexedRunsTests<AppWithoutAgentOnPostgres>(app);
