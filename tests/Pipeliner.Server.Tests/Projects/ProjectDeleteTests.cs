using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Projects;

/// <summary><c>DELETE /api/projects/{project}?confirm=</c>: a project goes with its whole history, only when asked twice and idle.</summary>
public class ProjectDeleteTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Delete_RemovesTheProjectAndItsHistory_WhenConfirmedAndNoRunIsUnfinished()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        await admin.SetSecretAsync(project, "DEPLOY_TOKEN", "a-secret-value");
        var runId = await admin.TriggerAsync(project);

        // Without an agent the run waits: a project with an unfinished run is not deleted.
        var busy = await Api.ProblemAsync(await admin.DeleteAsync($"/api/projects/{project}?confirm={project}"), HttpStatusCode.Conflict);
        Assert.Equal($"project '{project}' has unfinished runs (#1): cancel them first", busy.Detail());
        await Api.ExpectAsync(await admin.PostAsync($"/api/runs/{runId}/cancel", null), HttpStatusCode.Accepted);
        await admin.WaitForFinishAsync(runId);

        var unconfirmed = await Api.ProblemAsync(await admin.DeleteAsync($"/api/projects/{project}?confirm=other"), HttpStatusCode.BadRequest);
        Assert.Contains($"repeat '{project}'", unconfirmed.Detail(), StringComparison.Ordinal);
        await Api.ExpectAsync(await admin.GetAsync($"/api/projects/{project}"), HttpStatusCode.OK);

        await Api.ExpectAsync(await admin.DeleteAsync($"/api/projects/{project}?confirm={project}"), HttpStatusCode.NoContent);

        await Api.ProblemAsync(await admin.GetAsync($"/api/projects/{project}"), HttpStatusCode.NotFound);
        await Api.ProblemAsync(await admin.GetAsync($"/api/runs/{runId}"), HttpStatusCode.NotFound);
        await Api.ProblemAsync(await admin.GetAsync($"/api/projects/{project}/secrets"), HttpStatusCode.NotFound);
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?project={project}", Api.Json);
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.GetProperty("action").GetString() == "project.delete");

        // The name is free again, and the new project's runs start at #1.
        await Api.ExpectAsync(await admin.PostProjectAsync(project, repository.Path), HttpStatusCode.Created);
        var again = await admin.TriggerAsync(project);
        Assert.Equal(1, (await admin.GetRunAsync(again)).Number);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Developer)]
    [InlineData(Role.ReleaseManager)]
    public async Task Delete_Returns403_BelowAdmin(Role role)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await client.DeleteAsync($"/api/projects/{project}?confirm={project}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Api.ExpectAsync(await admin.GetAsync($"/api/projects/{project}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Delete_Returns404_ForAnUnknownProject()
    {
        using var admin = app.Client();

        await Api.ProblemAsync(await admin.DeleteAsync("/api/projects/no-such-project?confirm=no-such-project"), HttpStatusCode.NotFound);
    }
}
