using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Webhooks;
using Pipeliner.TestSupport.Seeding;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.Endpoints;

public sealed class OverviewEndpointsTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    private readonly RunSeed _seed = new(app);

    [Fact]
    public async Task The_overview_has_the_latest_run_of_each_branch_and_pull_request()
    {
        var project = await _seed.ProjectAsync();
        await _seed.RunAsync(project, "failed", "main");
        var latestMain = await _seed.RunAsync(project, "succeeded", "main");
        var feature = await _seed.RunAsync(project, "running", "feature/login");
        await _seed.RunAsync(project, "failed", "main", pullRequest: 4);
        var pr4 = await _seed.RunAsync(project, "succeeded", "main", pullRequest: 4);
        var pr5 = await _seed.RunAsync(project, "pending", "develop", pullRequest: 5);

        var overview = await app.Client().GetFromJsonAsync<ProjectOverviewResponse>($"/api/projects/{project.Name}/overview");

        Assert.Equal([feature.Id, latestMain.Id], overview!.Branches.Select(r => r.Id));
        Assert.Equal([pr5.Id, pr4.Id], overview.PullRequests.Select(r => r.Id));
    }

    [Fact]
    public async Task The_overview_has_the_newest_webhook_delivery_only_when_it_failed_or_was_refused()
    {
        var project = await _seed.ProjectAsync();
        await DeliveryAsync(project.Id, DeliveryOutcomes.Failed, "cannot read the repository");
        await DeliveryAsync(project.Id, DeliveryOutcomes.InvalidSignature, "the signature does not match");

        var refused = await app.Client().GetFromJsonAsync<ProjectOverviewResponse>($"/api/projects/{project.Name}/overview");
        await DeliveryAsync(project.Id, DeliveryOutcomes.NotTriggered, "branch 'x' matches none of main");
        var fine = await app.Client().GetFromJsonAsync<ProjectOverviewResponse>($"/api/projects/{project.Name}/overview");

        Assert.Equal((DeliveryOutcomes.InvalidSignature, "the signature does not match"),
            (refused!.LastDeliveryFailure?.Outcome, refused.LastDeliveryFailure?.Message));
        Assert.Null(fine!.LastDeliveryFailure);
    }

    private Task DeliveryAsync(int projectId, string outcome, string message) => app.WithDbAsync(async db =>
    {
        db.WebhookDeliveries.Add(new WebhookDeliveryEntity
        {
            ProjectId = projectId, DeliveryId = Guid.NewGuid().ToString(), Forge = "github", Event = "push", Outcome = outcome, Message = message,
            ReceivedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    });

    [Fact]
    public async Task A_pull_request_has_its_runs_newest_first_and_paged()
    {
        var project = await _seed.ProjectAsync();
        var first = await _seed.RunAsync(project, "failed", "main", pullRequest: 9);
        await _seed.RunAsync(project, "succeeded", "main", pullRequest: 10);
        var second = await _seed.RunAsync(project, "succeeded", "main", pullRequest: 9);

        var runs = await app.Client().GetFromJsonAsync<PagedResponse<RunSummaryResponse>>($"/api/projects/{project.Name}/pulls/9/runs");
        Assert.Equal([second.Id, first.Id], runs!.Items.Select(r => r.Id));
        Assert.Equal(2, runs.Total);

        var page2 = await app.Client().GetFromJsonAsync<PagedResponse<RunSummaryResponse>>($"/api/projects/{project.Name}/pulls/9/runs?page=2&pageSize=1");
        Assert.Equal(first.Id, Assert.Single(page2!.Items).Id);
    }

    [Fact]
    public async Task Failed_jobs_of_runs_come_with_their_latest_attempt()
    {
        var project = await _seed.ProjectAsync();
        var run = await _seed.RunAsync(project, "failed", "main", null, ("build", "succeeded"), ("test", "failed"), ("slow", "timed_out"));
        await _seed.AttemptAsync(run, "test", 1, RunSeed.Log("boom"));
        await _seed.AttemptAsync(run, "test", 2, RunSeed.Log("boom again"));
        var green = await _seed.RunAsync(project, "succeeded", "main", null, ("build", "succeeded"));

        var failures = await app.Client().GetFromJsonAsync<List<RunFailuresResponse>>($"/api/runs/failures?ids={run.Id},{green.Id}");

        var entry = Assert.Single(failures!);
        Assert.Equal(run.Id, entry.RunId);
        Assert.Equal([new FailedJobResponse("test", "failed", 2), new FailedJobResponse("slow", "timed_out", 1)], entry.Jobs);
    }

    [Theory]
    [InlineData("/api/runs/failures?ids=1,x")]
    [InlineData("/api/projects/{project}/overview?limit=0")]
    [InlineData("/api/projects/{project}/pulls/1/runs?pageSize=1000")]
    public async Task Bad_parameters_are_400(string path)
    {
        var project = await _seed.ProjectAsync();
        var response = await app.Client().GetAsync(path.Replace("{project}", project.Name, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Reading_needs_a_token()
    {
        var project = await _seed.ProjectAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(token: null).GetAsync($"/api/projects/{project.Name}/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client().GetAsync("/api/projects/no-such-project/overview")).StatusCode);
    }
}
