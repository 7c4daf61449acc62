using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Tests.Webhooks;

namespace Pipeliner.Server.Tests.ForgeStatuses;

/// <summary>The server with the embedded agent on the real Docker engine, a public URL for run links and quick retries.</summary>
public sealed class ForgeStatusApp() : PipelinerApp(agentCapacity: 2, new Dictionary<string, string>
{
    ["Pipeliner:PublicUrl"] = ForgeStatusApp.PublicUrl,
    ["Pipeliner:RetryPollInterval"] = "00:00:00.200",
})
{
    public const string PublicUrl = "https://ci.example.test/";
    public const string ForgeToken = "forge-api-token-for-tests";

    /// <summary>How long the server waits for the forge here: longer than a hanging forge hangs in a test.</summary>
    public static readonly TimeSpan ForgeTimeout = TimeSpan.FromMinutes(10);

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // A hanging forge then holds each delivery for as long as the test says, not the server's 10 s: a run that waited
        // for deliveries would show, however slowly the machine runs the jobs.
        builder.ConfigureServices(services =>
            services.AddHttpClient(Pipeliner.Server.ForgeStatuses.ForgeStatusDelivery.HttpClientName, client => client.Timeout = ForgeTimeout));
    }
}

public sealed record ForgeStatusesView(bool Reports, List<ForgeStatusContextView> Contexts, List<ForgeStatusAttemptView> Attempts);

public sealed record ForgeStatusContextView(string Context, string? Job, string State, string? DeliveredState);

public sealed record ForgeStatusAttemptView(
    string Context, string State, string Description, string Outcome, int? HttpStatus, string? Message, DateTimeOffset At);

/// <summary>A webhook fixture of each forge, the branch it pushes, the repository it names and where that forge's API lives.</summary>
public sealed record ForgeCase(string Forge, string Fixture, string Branch, string Repository, string ApiPath)
{
    public static readonly IReadOnlyDictionary<string, ForgeCase> All = new ForgeCase[]
    {
        new("github", "github/push-branch-update.json", "main", "woodpecker-ci/woodpecker", "/api/v3"),
        new("gitlab", "gitlab/push.json", "master", "mike/diaspora", "/api/v4"),
        new("gitea", "gitea/push.json", "develop", "gitea/webhooks", "/api/v1"),
        new("bitbucket", "bitbucket/repo-push.json", "main", "martinherren1984/publictestrepo", ""),
    }.ToDictionary(c => c.Forge);
}

internal static class ForgeStatusScenario
{
    /// <summary>
    /// Registers a project of the case's forge whose commit statuses go to <paramref name="forge"/>, delivers the case's push
    /// webhook for a repository holding <paramref name="pipeline"/>, and returns the run it created and its commit.
    /// </summary>
    public static async Task<(HttpClient Client, string Project, long RunId, string Commit)> RunFromWebhookAsync(
        this PipelinerApp app, ForgeCase forgeCase, RecordingForge forge, string pipeline)
    {
        var fixture = WebhookDelivery.Cases[forgeCase.Fixture];
        var repository = app.NewRepository(pipeline, forgeCase.Branch);
        var client = app.Client();
        var project = app.NewProjectName(forgeCase.Forge);
        using (var created = await client.PostAsJsonAsync("/api/projects", new
        {
            name = project, repository = repository.Path, forge = forgeCase.Forge, webhookSecret = Secrets.Webhook,
            forgeApiUrl = forge.Url + forgeCase.ApiPath, forgeToken = ForgeStatusApp.ForgeToken,
        }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        }

        var deliveryId = Guid.NewGuid().ToString();
        var body = WebhookDelivery.Rewritten(fixture, repository.Head());
        using (var delivered = await client.SendAsync(WebhookDelivery.Request(project, fixture, body, Secrets.Webhook, deliveryId)))
            await Api.ExpectAsync(delivered, HttpStatusCode.Accepted);
        var delivery = await app.ProcessedDeliveryAsync(deliveryId);
        Assert.True(delivery.RunId is not null, $"no run: {delivery.Outcome} {delivery.Message}");
        return (client, project, delivery.RunId!.Value, repository.Head());
    }

    /// <summary>A one-job run from the case's webhook, finished, with its final states accepted by the forge and settled.</summary>
    public static async Task<(HttpClient Client, string Project, long RunId)> SettledRunFromWebhookAsync(
        this PipelinerApp app, ForgeCase forgeCase, RecordingForge forge)
    {
        var (client, project, runId, _) = await app.RunFromWebhookAsync(forgeCase, forge, Pipelines.OneJob);
        await client.WaitForFinishAsync(runId);
        await forge.WaitForAcceptedAsync("pipeliner", "success");
        await forge.WaitForAcceptedAsync("pipeliner/build", "success");
        await client.SettledStatusesAsync(runId);
        return (client, project, runId);
    }

    public static async Task<ForgeStatusesView> StatusesAsync(this HttpClient client, long runId) =>
        (await client.GetFromJsonAsync<ForgeStatusesView>($"/api/runs/{runId}/statuses", Api.Json))!;

    /// <summary>The statuses once the server has recorded the forge's answer to each context's newest state.</summary>
    public static Task<ForgeStatusesView> SettledStatusesAsync(this HttpClient client, long runId) =>
        Poll.UntilAsync(() => client.StatusesAsync(runId), s => s.Contexts.Count > 0 && s.Contexts.All(c => c.DeliveredState == c.State),
            $"the statuses of run {runId} to be settled");
}
