using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pipeliner.Server.Tests.Support;

/// <summary>The REST calls tests make, each asserting the status code the success case must have.</summary>
internal static class Api
{
    public static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public static Task<HttpResponseMessage> PostProjectAsync(
        this HttpClient client, string name, string repository, string forge = "github", string secret = Secrets.Webhook,
        string? pipelineFile = null, string? defaultBranch = null) =>
        client.PostAsJsonAsync("/api/projects", new { name, repository, forge, webhookSecret = secret, pipelineFile, defaultBranch });

    /// <summary>Registers a project for <paramref name="repository"/> and returns its name.</summary>
    public static async Task<string> CreateProjectAsync(
        this HttpClient client, PipelinerApp app, GitRepository repository, string forge = "github", string hint = "project",
        string? pipelineFile = null, string defaultBranch = "main")
    {
        var name = app.NewProjectName(hint);
        using var response = await client.PostProjectAsync(name, repository.Path, forge, pipelineFile: pipelineFile, defaultBranch: defaultBranch);
        await ExpectAsync(response, HttpStatusCode.Created);
        return name;
    }

    /// <summary>
    /// Registers a project whose one job, <c>build</c>, runs only on an agent with <paramref name="label"/> (none has it
    /// unless the test makes one), triggers a run and returns its id: the job waits ready for a claim.
    /// </summary>
    public static async Task<long> TriggerJobForLabelAsync(this HttpClient client, PipelinerApp app, string label)
    {
        var project = await client.CreateProjectAsync(app, app.NewRepository($$"""
            stages: [build]
            jobs:
              build: { stage: build, image: alpine:3, runs-on: [{{label}}], script: ["echo building"] }

            """));
        return await client.TriggerAsync(project);
    }

    public static Task<HttpResponseMessage> PostRunAsync(this HttpClient client, string project, object? body = null) =>
        client.PostAsJsonAsync($"/api/projects/{project}/runs", body ?? new { });

    /// <summary>Triggers a manual run and returns its id.</summary>
    public static async Task<long> TriggerAsync(this HttpClient client, string project, object? body = null)
    {
        using var response = await client.PostRunAsync(project, body);
        await ExpectAsync(response, HttpStatusCode.Created);
        var triggered = (await response.Content.ReadFromJsonAsync<TriggeredView>(Json))!;
        Assert.Equal($"/api/runs/{triggered.Id}", response.Headers.Location?.OriginalString);
        return triggered.Id;
    }

    public static async Task<RunView> GetRunAsync(this HttpClient client, long id)
    {
        using var response = await client.GetAsync($"/api/runs/{id}");
        await ExpectAsync(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<RunView>(Json))!;
    }

    public static Task<RunView> WaitForRunAsync(this HttpClient client, long id, Func<RunView, bool> done, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(() => client.GetRunAsync(id), done, $"run {id}: {what}", timeout);

    public static Task<RunView> WaitForFinishAsync(this HttpClient client, long id, TimeSpan? timeout = null) =>
        client.WaitForRunAsync(id, run => run.IsFinished, "to finish", timeout);

    public static Task<RunView> WaitForJobAsync(this HttpClient client, long id, string job, string status, TimeSpan? timeout = null) =>
        client.WaitForRunAsync(id, run => run.Job(job).Status == status, $"job '{job}' to be {status}", timeout);

    public static async Task<string> LogAsync(this HttpClient client, long id, string job, int? attempt = null)
    {
        var query = attempt is null ? "" : $"?attempt={attempt}";
        using var response = await client.GetAsync($"/api/runs/{id}/jobs/{Uri.EscapeDataString(job)}/log{query}");
        await ExpectAsync(response, HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Stores a project secret, for every job (<paramref name="environment"/> null) or for one environment's jobs.</summary>
    public static async Task SetSecretAsync(this HttpClient client, string project, string name, string value, string? environment = null)
    {
        using var response = await client.PutAsJsonAsync($"/api/projects/{project}/secrets/{name}", new { value, environment });
        await ExpectAsync(response, HttpStatusCode.Created);
    }

    public static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode == expected) return;
        var body = await response.Content.ReadAsStringAsync();
        var server = ServerOutputHandler.OutputOf(response);
        throw new Xunit.Sdk.XunitException($"expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {body}"
            + (server.Length == 0 ? "" : $"\nthe server's output:\n{server}"));
    }

    /// <summary>Asserts a problem details answer with <paramref name="status"/> and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        await ExpectAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    public static string Detail(this JsonElement problem) =>
        problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "";
}

internal static class Secrets
{
    public const string Webhook = "webhook-secret-for-tests";
}
