using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Audit;

/// <summary>The audit log records who changed what, is readable by release managers and admins, and is never rewritten.</summary>
public class AuditLogTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task List_ShowsApprovalAndCancelWithActor_WhenTheyHappened()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.ManualDeploy));
        var id = await client.TriggerAsync(project);
        (await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null)).Dispose();
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        var entries = await ListAsync(client, $"/api/audit?project={project}");

        Assert.Equal(["run.cancel", "job.approve", "project.create"], entries.Select(e => e.GetProperty("action").GetString()));
        var cancel = entries[0];
        Assert.Equal($"run {id}", cancel.GetProperty("target").GetString());
        Assert.Equal(project, cancel.GetProperty("project").GetString());
        Assert.Equal("admin", cancel.GetProperty("actor").GetString());
        Assert.Equal($"job deploy of run {id}", entries[1].GetProperty("target").GetString());
    }

    [Fact]
    public async Task List_RecordsNothing_WhenTheChangeIsRefused()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.ManualDeploy));
        var id = await client.TriggerAsync(project);

        (await client.PostAsync($"/api/runs/{id}/jobs/build/approve", content: null)).Dispose();

        var entries = await ListAsync(client, $"/api/audit?project={project}");
        Assert.Equal(["project.create"], entries.Select(e => e.GetProperty("action").GetString()));
    }

    [Theory]
    [InlineData(Role.Viewer, HttpStatusCode.Forbidden)]
    [InlineData(Role.Developer, HttpStatusCode.Forbidden)]
    [InlineData(Role.ReleaseManager, HttpStatusCode.OK)]
    [InlineData(Role.Admin, HttpStatusCode.OK)]
    public async Task List_AnswersByRole_WhenAsked(Role role, HttpStatusCode expected)
    {
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await client.GetAsync("/api/audit");

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task List_Returns401_WhenNoTokenIsGiven()
    {
        using var client = app.Client(token: null);

        using var response = await client.GetAsync("/api/audit");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SaveChanges_Throws_WhenAnEntryIsChangedOrDeleted()
    {
        using var client = app.Client();
        await client.CreateProjectAsync(app, app.NewRepository(Pipelines.ManualDeploy));

        await app.WithDbAsync(async db =>
        {
            var entry = await db.AuditEntries.OrderBy(e => e.Id).FirstAsync();
            entry.Details = "rewritten";
            await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            db.AuditEntries.Remove(await db.AuditEntries.OrderBy(e => e.Id).FirstAsync());
            await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        });
    }

    [Fact]
    public async Task List_Returns400Problem_WhenThePageIsBelowOne()
    {
        using var client = app.Client();

        using var response = await client.GetAsync("/api/audit?page=0");

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string url)
    {
        var page = await client.GetFromJsonAsync<JsonElement>(url, Api.Json);
        return page.GetProperty("items").EnumerateArray().ToList();
    }
}
