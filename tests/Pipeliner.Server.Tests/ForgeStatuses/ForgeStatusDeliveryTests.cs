using System.Net;
using Hangfire;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.ForgeStatuses;

/// <summary>Commit statuses of real runs (real Docker jobs) reaching a recording forge on 127.0.0.1, per forge.</summary>
public class ForgeStatusDeliveryTests(ForgeStatusApp app) : IClassFixture<ForgeStatusApp>
{
    private const string FailingBuild = """
        stages: [build, test]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo compiling", "exit 3"]
          test:
            stage: test
            needs: [build]
            script: ["echo testing"]

        """;

    private const string BlockingDeploy = """
        stages: [deploy]
        defaults: { image: alpine:3 }
        jobs:
          deploy:
            stage: deploy
            when: manual
            blocking: true
            script: ["echo deploy"]

        """;

    /// <summary>Each forge's words for pending, running and success.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> Progress = new Dictionary<string, string[]>
    {
        ["github"] = ["pending", "pending", "success"],
        ["gitlab"] = ["pending", "running", "success"],
        ["gitea"] = ["pending", "pending", "success"],
        ["bitbucket"] = ["INPROGRESS", "INPROGRESS", "SUCCESSFUL"],
    };

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    [InlineData("bitbucket")]
    public async Task Run_ReportsPendingThenSuccessInTheForgesShape_WhenAWebhookRunSucceeds(string forgeName)
    {
        await using var forge = await RecordingForge.StartAsync();
        var forgeCase = ForgeCase.All[forgeName];
        var (client, _, runId, commit) = await app.RunFromWebhookAsync(forgeCase, forge, Pipelines.OneJob);
        using var _ = client;

        var finished = await client.WaitForFinishAsync(runId);
        Assert.Equal("succeeded", finished.Status);

        var success = Progress[forgeName][^1];
        var run = await forge.WaitForAcceptedAsync("pipeliner", success);
        var job = await forge.WaitForAcceptedAsync("pipeliner/build", success);
        Assert.Equal(Progress[forgeName], run.Select(r => r.State));
        Assert.Equal(Progress[forgeName], job.Select(r => r.State));
        Assert.Equal(6, forge.Requests.Count);
        foreach (var request in forge.Requests) AssertShape(forgeCase, request, commit, finished);
        Assert.Contains("succeeded", run[^1].Body.GetProperty("description").GetString());

        var statuses = await client.SettledStatusesAsync(runId);
        Assert.True(statuses.Reports);
        Assert.Equal([("pipeliner", null, "success", "success"), ("pipeliner/build", "build", "success", "success")],
            statuses.Contexts.Select(c => (c.Context, c.Job, c.State, c.DeliveredState)));
        // A job whose update another had sent already (in order, before its own) records a skip.
        var (delivered, skipped) = (statuses.Attempts.Where(a => a.Outcome == "delivered").ToList(), statuses.Attempts.Where(a => a.Outcome != "delivered").ToList());
        Assert.Equal(6, delivered.Count);
        Assert.All(delivered, attempt => Assert.Equal(201, attempt.HttpStatus));
        Assert.All(skipped, attempt => Assert.Equal("skipped", attempt.Outcome));
    }

    [Fact]
    public async Task Run_ReportsFailureForTheRunAndTheFailingJob_WhenAJobFails()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["github"], forge, FailingBuild);
        using var _ = client;

        Assert.Equal("failed", (await client.WaitForFinishAsync(runId)).Status);

        var run = await forge.WaitForAcceptedAsync("pipeliner", "failure");
        var build = await forge.WaitForAcceptedAsync("pipeliner/build", "failure");
        var test = await forge.WaitForAcceptedAsync("pipeliner/test", "success");
        Assert.Equal("pending", run[0].State);
        Assert.Equal("pending", build[0].State);
        Assert.Equal(["pending", "success"], test.Select(r => r.State));
        Assert.StartsWith("skipped", test[^1].Body.GetProperty("description").GetString());
        Assert.Contains("failed", run[^1].Body.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Run_ReportsFailureSayingThePipelineIsInvalid_WhenThePipelineFileIsInvalid()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["gitlab"], forge, Pipelines.Invalid);
        using var _ = client;

        Assert.Equal("invalid", (await client.WaitForFinishAsync(runId)).Status);

        var run = await forge.WaitForAcceptedAsync("pipeliner", "failed");
        Assert.Single(run);
        Assert.Contains("the pipeline file is invalid", run[0].Body.GetProperty("description").GetString());
        Assert.Single(forge.Requests);
    }

    [Fact]
    public async Task Run_ReportsWaitingThenCanceledAsError_WhenARunWaitingForApprovalIsCanceled()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["github"], forge, BlockingDeploy);
        using var _ = client;
        await client.WaitForRunAsync(runId, r => r.Status == "waiting", "to wait for approval");
        await Poll.UntilAsync(() => Task.FromResult(forge.Accepted("pipeliner")), accepted => accepted.Count > 0, "the waiting status");

        using (var cancel = await client.PostAsync($"/api/runs/{runId}/cancel", content: null))
            await Api.ExpectAsync(cancel, HttpStatusCode.Accepted);

        var run = await forge.WaitForAcceptedAsync("pipeliner", "error");
        Assert.Equal(["pending", "error"], run.Select(r => r.State));
        Assert.Contains("waits for approval", run[0].Body.GetProperty("description").GetString());
        Assert.Contains("canceled", run[^1].Body.GetProperty("description").GetString());
        var job = await forge.WaitForAcceptedAsync("pipeliner/deploy", "error");
        Assert.Equal(["pending", "error"], job.Select(r => r.State));
    }

    [Fact]
    public async Task Delivery_ReachesTheForgeInOrderAfterRetries_WhenTheForgeAnswers500AtFirst()
    {
        await using var forge = await RecordingForge.StartAsync();
        var down = true;
        forge.Answer = _ => Volatile.Read(ref down) ? StatusCodes.Status500InternalServerError : StatusCodes.Status201Created;
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["github"], forge, Pipelines.OneJob);
        using var _ = client;

        // The run ends while every status is refused: a forge that is down does not hold it up.
        Assert.Equal("succeeded", (await client.WaitForFinishAsync(runId)).Status);
        await Poll.UntilAsync(() => client.StatusesAsync(runId), s => s.Attempts.Any(a => a.HttpStatus == 500), "a failed delivery");
        Assert.DoesNotContain(forge.Requests, r => r.Accepted);

        Volatile.Write(ref down, false);
        var run = await forge.WaitForAcceptedAsync("pipeliner", "success");
        var job = await forge.WaitForAcceptedAsync("pipeliner/build", "success");

        Assert.Equal(["pending", "pending", "success"], run.Select(r => r.State));
        Assert.Equal(["pending", "pending", "success"], job.Select(r => r.State));
        var statuses = await client.SettledStatusesAsync(runId);
        var first = statuses.Attempts.First(a => a.Context == "pipeliner");
        Assert.Equal(("failed", 500), (first.Outcome, first.HttpStatus));
        Assert.Contains("the forge is down", first.Message);
        Assert.All(statuses.Contexts, c => Assert.Equal(("success", "success"), (c.State, c.DeliveredState)));
    }

    [Fact]
    public async Task Run_IsCreatedAndFinishesPromptly_WhenTheForgeHangs()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _) = await FinishedRunOnAHangingForgeAsync(forge, requests => requests.Count >= 2, "deliveries to hang on the forge");
        using var _ = client;

        // Every delivery now waits for the forge; webhooks still become runs, and runs still end, right away.
        var started = DateTimeOffset.UtcNow;
        var (other, _, second, _) = await app.RunFromWebhookAsync(ForgeCase.All["gitea"], forge, Pipelines.OneJob);
        using var __ = other;
        var finished = await other.WaitForFinishAsync(second);

        Assert.Equal("succeeded", finished.Status);
        // The forge holds every delivery for 9 minutes: a run that waited for one would take that long. The bound leaves
        // room for a container start on a loaded machine.
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromMinutes(2), $"the run took {DateTimeOffset.UtcNow - started} while the forge hung");
    }

    [Fact]
    public async Task Delivery_ComesBackLaterInsteadOfWaiting_WhenAnotherDeliveryOfItsContextHangsOnTheForge()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, runId) = await FinishedRunOnAHangingForgeAsync(forge, requests => requests.Any(r => r.Context == "pipeliner"),
            "the run's first status to hang on the forge");
        using var _ = client;
        var final = await app.WithDbAsync(db => db.ForgeStatusUpdates.Where(u => u.Context!.RunId == runId && u.Context.Context == "pipeliner")
            .OrderByDescending(u => u.Sequence).Select(u => u.Id).FirstAsync());

        // As a worker runs the final state's delivery while the first state's request hangs: the worker is not held until
        // the forge answers (the guard is only there to end the test if it is).
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ForgeStatusDelivery>().DeliverAsync(final).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Single(forge.Requests, r => r.Context == "pipeliner");
        var scheduled = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi().ScheduledJobs(0, 1000);
        Assert.Contains(scheduled, job => job.Value.Job?.Method.Name == nameof(ForgeStatusDelivery.DeliverAsync) && Equals(job.Value.Job.Args[0], final));
    }

    [Fact]
    public async Task Delivery_SkipsAnOlderUpdateAndKeepsTheFinalState_WhenItArrivesAfterTheFinalOne()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, _, runId) = await app.SettledRunFromWebhookAsync(ForgeCase.All["gitlab"], forge);
        using var _ = client;
        var seen = forge.Requests.Count;
        var firstUpdate = await app.WithDbAsync(db => db.ForgeStatusUpdates
            .Where(u => u.Context!.RunId == runId && u.Context.Context == "pipeliner").OrderBy(u => u.Sequence).Select(u => u.Id).FirstAsync());

        // As a late retry of the first ("pending") update would run: after the final state was delivered.
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ForgeStatusDelivery>().DeliverAsync(firstUpdate);

        Assert.Equal(seen, forge.Requests.Count);
        Assert.Equal("success", forge.Accepted("pipeliner")[^1].State);
        var statuses = await client.StatusesAsync(runId);
        var last = statuses.Attempts[^1];
        Assert.Equal(("pipeliner", "pending", "skipped"), (last.Context, last.State, last.Outcome));
        Assert.Equal("success", statuses.Contexts.Single(c => c.Context == "pipeliner").DeliveredState);
    }

    [Fact]
    public async Task Delivery_RecordsWhyNothingWasSent_WhenAManualRunHasNoForgeRepository()
    {
        await using var forge = await RecordingForge.StartAsync();
        var (client, project, _) = await app.SettledRunFromWebhookAsync(ForgeCase.All["github"], forge);
        using var _ = client;
        var seen = forge.Requests.Count;

        // The project's repository is a local path: without a webhook there is no owner/name to report to.
        var manual = await client.TriggerAsync(project);
        await client.WaitForFinishAsync(manual);

        var statuses = await Poll.UntilAsync(() => client.StatusesAsync(manual),
            s => s.Attempts.Any(a => a.Context == "pipeliner" && a.State == "success"), "the manual run's final status to be settled");
        Assert.All(statuses.Attempts, a => Assert.Equal("skipped", a.Outcome));
        Assert.Contains("cannot tell the forge's repository", statuses.Attempts[0].Message);
        Assert.Equal(seen, forge.Requests.Count);
    }

    [Fact]
    public async Task Statuses_ReportsNothing_WhenTheProjectHasNoForgeApi()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        var id = await client.TriggerAsync(project);
        await client.WaitForFinishAsync(id);

        var statuses = await client.StatusesAsync(id);

        Assert.False(statuses.Reports);
        Assert.Empty(statuses.Contexts);
        Assert.Empty(statuses.Attempts);
        Assert.Equal(0, await app.WithDbAsync(db => db.ForgeStatusContexts.CountAsync(c => c.RunId == id)));
    }

    [Fact]
    public async Task Statuses_Returns404Problem_WhenTheRunIsUnknown()
    {
        using var client = app.Client();

        using var response = await client.GetAsync("/api/runs/987654/statuses");

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    /// <summary>
    /// A one-job run from a webhook of a forge that holds every status request for 9 minutes, finished, once the requests
    /// hanging on the forge are as <paramref name="hanging"/> says.
    /// </summary>
    private async Task<(HttpClient Client, long RunId)> FinishedRunOnAHangingForgeAsync(
        RecordingForge forge, Func<IReadOnlyList<ForgeRequest>, bool> hanging, string what)
    {
        forge.Delay = ForgeStatusApp.ForgeTimeout - TimeSpan.FromMinutes(1);
        var (client, _, runId, _) = await app.RunFromWebhookAsync(ForgeCase.All["gitea"], forge, Pipelines.OneJob);
        await client.WaitForFinishAsync(runId);
        await Poll.UntilAsync(() => Task.FromResult(forge.Requests), hanging, what);
        return (client, runId);
    }

    private static void AssertShape(ForgeCase forgeCase, ForgeRequest request, string commit, RunView finished)
    {
        Assert.Equal("POST", request.Method);
        var token = ForgeStatusApp.ForgeToken;
        // The run's page as people name it: project and number.
        var runUrl = $"https://ci.example.test/projects/{finished.Project}/runs/{finished.Number}";
        var body = request.Body;
        string Text(string name) => body.GetProperty(name).GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(Text("description")));
        switch (forgeCase.Forge)
        {
            case "github" or "gitea":
                Assert.Equal($"{forgeCase.ApiPath}/repos/{forgeCase.Repository}/statuses/{commit}", request.RawTarget);
                Assert.Equal(forgeCase.Forge == "github" ? $"Bearer {token}" : $"token {token}", request.Header("Authorization"));
                Assert.Equal(runUrl, Text("target_url"));
                Assert.StartsWith("pipeliner", Text("context"));
                Assert.Equal(["state", "target_url", "description", "context"], body.EnumerateObject().Select(p => p.Name));
                break;
            case "gitlab":
                Assert.Equal($"/api/v4/projects/mike%2Fdiaspora/statuses/{commit}", request.RawTarget);
                Assert.Equal(token, request.Header("PRIVATE-TOKEN"));
                Assert.Null(request.Header("Authorization"));
                Assert.Equal(runUrl, Text("target_url"));
                Assert.Equal(["state", "name", "target_url", "description"], body.EnumerateObject().Select(p => p.Name));
                break;
            default:
                Assert.Equal($"/2.0/repositories/{forgeCase.Repository}/commit/{commit}/statuses/build", request.RawTarget);
                Assert.Equal($"Bearer {token}", request.Header("Authorization"));
                Assert.Equal(runUrl, Text("url"));
                Assert.Equal(Text("name"), Text("key"));
                Assert.Equal(["state", "key", "name", "url", "description"], body.EnumerateObject().Select(p => p.Name));
                break;
        }
    }
}
