using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Projects;

/// <summary>
/// <c>POST /api/projects/{project}/archive</c> and <c>/unarchive</c>: an archived project keeps its history, takes no
/// webhooks and no new runs (409 saying so), and is left out of the project list unless asked for.
/// </summary>
public class ProjectArchiveTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Archive_KeepsHistoryRefusesWebhooksAndRuns_UntilUnarchived()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        var runId = await admin.TriggerAsync(project);

        var archived = await admin.PostAsync($"/api/projects/{project}/archive", null);
        await Api.ExpectAsync(archived, HttpStatusCode.OK);
        Assert.NotNull((await archived.Content.ReadFromJsonAsync<JsonElement>(Api.Json)).GetProperty("archivedAt").GetString());

        // History stays readable.
        await Api.ExpectAsync(await admin.GetAsync($"/api/runs/{runId}"), HttpStatusCode.OK);
        await Api.ExpectAsync(await admin.GetAsync($"/api/projects/{project}/runs/1"), HttpStatusCode.OK);
        var one = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}", Api.Json);
        Assert.Equal(JsonValueKind.String, one.GetProperty("archivedAt").ValueKind);

        // Hidden from the default list, shown when asked.
        Assert.DoesNotContain(project, await NamesAsync(admin, ""));
        Assert.Contains(project, await NamesAsync(admin, "?archived=true"));
        Assert.Contains(project, await NamesAsync(admin, "?archived=all"));
        var badFilter = await Api.ProblemAsync(await admin.GetAsync("/api/projects?archived=maybe"), HttpStatusCode.BadRequest);
        Assert.Contains("archived is false", badFilter.Detail(), StringComparison.Ordinal);

        // No new runs: manual, previewed, or by webhook (a correctly signed one: only the forge learns why).
        var manual = await Api.ProblemAsync(await admin.PostRunAsync(project), HttpStatusCode.Conflict);
        Assert.StartsWith($"project '{project}' is archived (since ", manual.Detail(), StringComparison.Ordinal);
        Assert.EndsWith("it takes no webhooks and no new runs; an admin can unarchive it", manual.Detail(), StringComparison.Ordinal);
        await Api.ProblemAsync(await admin.PostAsJsonAsync($"/api/projects/{project}/plan", new { }), HttpStatusCode.Conflict);
        using (var hook = await PushAsync(admin, project, repository.Head(), Secrets.Webhook))
        {
            var problem = await Api.ProblemAsync(hook, HttpStatusCode.Conflict);
            Assert.Contains("is archived", problem.Detail(), StringComparison.Ordinal);
        }

        using (var forged = await PushAsync(admin, project, repository.Head(), "not-the-secret"))
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        var deliveries = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/deliveries", Api.Json);
        Assert.Contains(deliveries.GetProperty("items").EnumerateArray(), d => d.GetProperty("message").GetString()?.Contains("is archived", StringComparison.Ordinal) == true);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/runs", Api.Json)).GetProperty("total").GetInt32());

        var twice = await Api.ProblemAsync(await admin.PostAsync($"/api/projects/{project}/archive", null), HttpStatusCode.Conflict);
        Assert.Contains("archived already", twice.Detail(), StringComparison.Ordinal);

        // Unarchived, it takes runs again and is listed again; the audit log has both.
        await Api.ExpectAsync(await admin.PostAsync($"/api/projects/{project}/unarchive", null), HttpStatusCode.OK);
        Assert.Contains(project, await NamesAsync(admin, ""));
        Assert.Equal(2, (await admin.GetRunAsync(await admin.TriggerAsync(project))).Number);
        await Api.ProblemAsync(await admin.PostAsync($"/api/projects/{project}/unarchive", null), HttpStatusCode.Conflict);
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/audit?project={project}", Api.Json);
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("project.archive", actions);
        Assert.Contains("project.unarchive", actions);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Developer)]
    [InlineData(Role.ReleaseManager)]
    public async Task Archive_Returns403_BelowAdmin(Role role)
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await client.PostAsync($"/api/projects/{project}/archive", null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(project, await NamesAsync(admin, ""));
    }

    [Fact]
    public async Task Archive_Returns404_ForAnUnknownProject()
    {
        using var admin = app.Client();
        var problem = await Api.ProblemAsync(await admin.PostAsync("/api/projects/no-such-project/archive", null), HttpStatusCode.NotFound);
        Assert.Equal("no project 'no-such-project'", problem.Detail());
    }

    private static async Task<List<string?>> NamesAsync(HttpClient client, string query) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/projects{query}", Api.Json)).EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();

    /// <summary>A push of main as GitHub sends it, signed with <paramref name="secret"/>.</summary>
    private static Task<HttpResponseMessage> PushAsync(HttpClient client, string project, string commit, string secret)
    {
        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        var body = WebhookDelivery.Rewritten(fixture, commit);
        return client.SendAsync(WebhookDelivery.Request(project, fixture, body, secret, Guid.NewGuid().ToString()));
    }
}
