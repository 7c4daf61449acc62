using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Scheduling;

/// <summary>
/// A run's project as the coordinator sees it: on SQLite it holds the run's aggregate, project row included, between
/// changes and reads the row again only after a save of a project (<see cref="ProjectWrites"/>); on PostgreSQL every change
/// reads the run again.
/// </summary>
public abstract class RunCoordinatorProjectTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    protected TApp App => app;

    protected ProjectWrites Writes => app.Services.GetRequiredService<ProjectWrites>();

    [Fact]
    public async Task Cancel_StagesTheForgesStatuses_WhenTheProjectGainedAForgeWhileTheRunWaited()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, project, runId) = await WaitingRunAsync();
        using var _ = client;

        using (var updated = await client.PatchAsJsonAsync($"/api/projects/{project}", new { forgeApiUrl = forge.Url + "/api/v3", forgeToken = "token" }))
            await Api.ExpectAsync(updated, HttpStatusCode.OK);
        using (var canceled = await client.PostAsync($"/api/runs/{runId}/cancel", null))
            await Api.ExpectAsync(canceled, HttpStatusCode.Accepted);
        await client.WaitForFinishAsync(runId);

        // The cancel's change saw the project as it is now: it staged the run's status for the forge.
        var contexts = await app.WithDbAsync(db => db.ForgeStatusContexts.Where(c => c.RunId == runId).Select(c => c.Context).ToListAsync());
        Assert.Contains("pipeliner", contexts);
    }

    [Fact]
    public async Task Cancel_KeepsTheStamp_WhenNoProjectRowIsSaved()
    {
        var (client, _, runId) = await WaitingRunAsync();
        using var _ = client;
        var before = Writes.Stamp;

        // Run creation takes the project's run number with an update beside the change tracker; the changes write runs and jobs.
        using (var canceled = await client.PostAsync($"/api/runs/{runId}/cancel", null))
            await Api.ExpectAsync(canceled, HttpStatusCode.Accepted);
        await client.WaitForFinishAsync(runId);

        Assert.Equal(before, Writes.Stamp);
    }

    /// <summary>A run of one job waiting for an agent (there is none).</summary>
    private async Task<(HttpClient Client, string Project, long RunId)> WaitingRunAsync()
    {
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, "build", "pending");
        return (client, project, id);
    }
}

/// <summary>The tests above on SQLite, where the coordinator holds a run's aggregate between changes.</summary>
public sealed class RunCoordinatorProjectTests(AppWithoutAgent app) : RunCoordinatorProjectTests<AppWithoutAgent>(app)
{
    [Fact]
    public async Task SaveChangesAsync_MovesTheStamp_WhenAProjectRowIsSaved()
    {
        var client = App.Client();
        var project = await client.CreateProjectAsync(App, App.NewRepository(Pipelines.OneJob));
        var before = Writes.Stamp;

        using (var updated = await client.PatchAsJsonAsync($"/api/projects/{project}", new { defaultBranch = "trunk" }))
            await Api.ExpectAsync(updated, HttpStatusCode.OK);

        Assert.NotEqual(before, Writes.Stamp);
    }

    [Fact]
    public async Task SaveChangesAsync_MovesTheStampAgainAtTheCommit_WhenTheProjectIsSavedInATransaction()
    {
        var client = App.Client();
        var project = await client.CreateProjectAsync(App, App.NewRepository(Pipelines.OneJob));
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var entity = await db.Projects.SingleAsync(p => p.Name == project);
        entity.DefaultBranch = "trunk";
        await db.SaveChangesAsync();
        var saved = Writes.Stamp;

        await transaction.CommitAsync();

        // A reader that took the stamp before the commit reads the row again.
        Assert.NotEqual(saved, Writes.Stamp);
    }
}

/// <summary>The tests above on PostgreSQL, where every change reads the run again (replicas).</summary>
[Trait("Database", "postgres")]
public sealed class RunCoordinatorProjectOnPostgresTests(AppWithoutAgentOnPostgres app) : RunCoordinatorProjectTests<AppWithoutAgentOnPostgres>(app);
