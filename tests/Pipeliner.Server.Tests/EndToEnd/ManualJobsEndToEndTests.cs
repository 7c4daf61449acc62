using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.EndToEnd;

/// <summary>
/// A manual production job does not hold its run open, on a real server process with the Docker engine and a forge on
/// 127.0.0.1: the run of a push finishes as a success with the manual job available — in the API, the badge and the
/// forge's checks — and starting the job later reopens the run, which reports again.
/// </summary>
public sealed class ManualJobsEndToEndTests : IDisposable
{
    private const string Pipeline = """
        stages: [build, production]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo built"]
          deploy-prod:
            stage: production
            needs: [build]
            when: manual
            environment: prod
            script: ["echo deployed to prod"]

        """;

    private readonly TempDirectory _directory = new("pipeliner-manual-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Push_FinishesAsSuccessWithTheManualJobAvailableAndReopensWhenItStarts_WhenTheProdJobIsManual()
    {
        await DockerProbe.EnsureEngineAsync();
        await using var forge = await RecordingForge.StartAsync();
        var repository = GitRepository.WithPipeline(_directory.Combine("repo"), Pipeline);
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"));
        using var client = server.Client();
        using (var created = await client.PostAsJsonAsync("/api/projects", new
        {
            name = "shop", repository = repository.Path, forge = "github", webhookSecret = Secrets.Webhook,
            forgeApiUrl = forge.Url + "/api/v3", forgeToken = "forge-token",
        }))
        {
            await Api.ExpectAsync(created, HttpStatusCode.Created);
        }

        var fixture = WebhookDelivery.Cases["github/push-branch-update.json"];
        using (var pushed = await client.SendAsync(WebhookDelivery.Request("shop", fixture, WebhookDelivery.Rewritten(fixture, repository.Head()),
                   Secrets.Webhook, Guid.NewGuid().ToString())))
        {
            await Api.ExpectAsync(pushed, HttpStatusCode.Accepted);
        }

        var listed = await Poll.UntilAsync(() => client.GetFromJsonAsync<PageView>("/api/projects/shop/runs", Api.Json),
            page => page!.Total == 1, "the push's run to be created", TimeSpan.FromSeconds(60));
        var runId = listed!.Items[0].Id;

        // Everything but the manual job has run: the run is over, with the job left to start.
        var first = await client.WaitForRunAsync(runId, r => r.FinishedWithManualJobs, "to finish with deploy-prod available", TimeSpan.FromSeconds(120));
        Assert.Equal(("succeeded", "succeeded", "pending"), (first.Status, first.Job("build").Status, first.Job("deploy-prod").Status));
        Assert.NotNull(first.FinishedAt);
        var summary = (await client.GetFromJsonAsync<PageView>("/api/projects/shop/runs", Api.Json))!.Items.Single();
        Assert.Equal(("succeeded", true), (summary.Status, summary.ManualJobsAvailable));
        using var anonymous = server.Client(token: null);
        Assert.Contains("pipeliner: passing", await anonymous.GetStringAsync("/badge/shop.svg?branch=main"), StringComparison.Ordinal);
        var done = await forge.WaitForAcceptedAsync("pipeliner", "success");
        Assert.Equal($"Run #{first.Number} succeeded; manual jobs available", Description(done[^1]));
        var manual = await forge.WaitForAcceptedAsync("pipeliner/deploy-prod", "success");
        Assert.Equal("manual: waiting for approval", Description(manual[^1]));
        var reportedBefore = forge.Accepted("pipeliner").Count;

        using (var approved = await client.PostAsync($"/api/runs/{runId}/jobs/deploy-prod/approve", content: null))
            await Api.ExpectAsync(approved, HttpStatusCode.Accepted);

        var reopened = await client.GetRunAsync(runId);
        Assert.False(reopened.IsFinished, $"the run is {reopened.Status} after its manual job was started");
        Assert.Null(reopened.FinishedAt);
        var last = await client.WaitForRunAsync(runId, r => r.IsFinished, "to finish again", TimeSpan.FromSeconds(120));
        Assert.Equal(("succeeded", false, "succeeded"), (last.Status, last.ManualJobsAvailable, last.Job("deploy-prod").Status));
        Assert.True(last.FinishedAt > first.FinishedAt, "the reopened run did not finish anew");
        Assert.Contains("deployed to prod", await client.LogAsync(runId, "deploy-prod"), StringComparison.Ordinal);

        // The forge heard the run reopen (pending) and finish again, and the job's check run and succeed.
        var again = await Poll.UntilAsync(() => Task.FromResult(forge.Accepted("pipeliner")),
            accepted => accepted.Count > reportedBefore && accepted[^1].State == "success", "the run to be reported again");
        Assert.Contains(again.Skip(reportedBefore), r => r.State == "pending");
        Assert.Equal($"Run #{first.Number} succeeded", Description(again[^1]));
        var job = await Poll.UntilAsync(() => Task.FromResult(forge.Accepted("pipeliner/deploy-prod")),
            accepted => accepted.Count > manual.Count && accepted[^1].State == "success", "deploy-prod to be reported again");
        Assert.Contains(job.Skip(manual.Count), r => r.State == "pending");
        Assert.Equal("succeeded", Description(job[^1]));
        Assert.All(forge.Requests, r => Assert.Contains($"/statuses/{repository.Head()}", r.RawTarget, StringComparison.Ordinal));
    }

    private static string? Description(ForgeRequest request) => request.Body.GetProperty("description").GetString();
}
