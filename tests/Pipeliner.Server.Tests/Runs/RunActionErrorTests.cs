using System.Net;
using System.Net.Http.Json;
using System.Text;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>Cancel, retry and approve refused or accepted without an agent: nothing runs, so states hold still.</summary>
public class RunActionErrorTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private async Task<(HttpClient Client, long RunId)> QueuedRunAsync(string pipeline = Pipelines.ManualDeploy)
    {
        var repository = app.NewRepository(pipeline);
        var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        return (client, await client.TriggerAsync(project));
    }

    [Fact]
    public async Task Cancel_CancelsEveryJob_WhenTheRunIsQueued()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/cancel", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var run = await client.GetRunAsync(id);
        Assert.Equal("canceled", run.Status);
        Assert.All(run.Jobs, job => Assert.Equal("canceled", job.Status));
        Assert.NotNull(run.FinishedAt);
    }

    [Fact]
    public async Task Cancel_Returns409Problem_WhenTheRunWasCanceledAlready()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        using var response = await client.PostAsync($"/api/runs/{id}/cancel", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retry_QueuesCanceledJobsAgain_WhenTheRunWasCanceled()
    {
        var (client, id) = await QueuedRunAsync(Pipelines.BuildAndTest);
        using var _ = client;
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        using var response = await client.PostAsync($"/api/runs/{id}/retry", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var run = await client.GetRunAsync(id);
        Assert.Equal("queued", run.Status);
        Assert.Equal(("pending", "no agent online"), (run.Job("build").Status, run.Job("build").Reason));
        Assert.Equal(("pending", "waiting for build"), (run.Job("test").Status, run.Job("test").Reason));
        Assert.Null(run.FinishedAt);
    }

    [Theory]
    [InlineData("{\"jobs\":[\"nope\"]}", HttpStatusCode.Conflict)]
    [InlineData("{\"jobs\":[\"build\"]}", HttpStatusCode.Conflict)]
    [InlineData("{\"all\":true}", HttpStatusCode.Conflict)]
    [InlineData("{}", HttpStatusCode.Conflict)]
    [InlineData("{\"jobs\":[\"build\"],\"all\":true}", HttpStatusCode.Conflict)]
    [InlineData("{\"jobs\":5}", HttpStatusCode.BadRequest)]
    [InlineData("{\"all\":\"yes\"}", HttpStatusCode.BadRequest)]
    [InlineData("[", HttpStatusCode.BadRequest)]
    public async Task Retry_ReturnsAProblem_WhenNothingCanBeRetried(string body, HttpStatusCode status)
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/retry", new StringContent(body, Encoding.UTF8, "application/json"));

        await Api.ProblemAsync(response, status);
    }

    [Fact]
    public async Task Retry_Returns409Problem_WhenTheRunIsInvalid()
    {
        var (client, id) = await QueuedRunAsync(Pipelines.Invalid);
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/retry", content: null);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("invalid", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_Returns409Problem_WhenTheRunIsInvalid()
    {
        var (client, id) = await QueuedRunAsync(Pipelines.Invalid);
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/cancel", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Approve_MarksTheJobApprovedAndQueuesIt_WhenItWaitsForApproval()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var deploy = (await client.GetRunAsync(id)).Job("deploy");
        Assert.Equal(("pending", "no agent online", "admin"), (deploy.Status, deploy.Reason, deploy.ApprovedBy));
    }

    [Fact]
    public async Task Approve_Returns409Problem_WhenApprovedTwice()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        (await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null)).Dispose();

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("approved already", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_Returns409Problem_WhenTheJobIsNotManual()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/build/approve", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Approve_Returns409Problem_WhenTheRunWasCanceled()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        (await client.PostAsync($"/api/runs/{id}/cancel", content: null)).Dispose();

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Approve_Returns404Problem_WhenTheJobDoesNotExist()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/nope/approve", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Approve_Returns409Problem_WhenTheRunIsInvalid()
    {
        var (client, id) = await QueuedRunAsync(Pipelines.Invalid);
        using var _ = client;

        using var response = await client.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        await Api.ProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Approve_Returns403_WhenTheTokenIsADevelopers()
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        using var developer = app.Client(await app.CreateTokenAsync(Role.Developer));

        using var response = await developer.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null((await client.GetRunAsync(id)).Job("deploy").ApprovedBy);
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("retry")]
    [InlineData("jobs/deploy/approve")]
    public async Task Actions_Return403_WhenTheTokenIsAViewers(string action)
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        using var viewer = app.Client(await app.CreateTokenAsync(Role.Viewer));

        using var response = await viewer.PostAsync($"/api/runs/{id}/{action}", content: null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("queued", (await client.GetRunAsync(id)).Status);
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("retry")]
    [InlineData("jobs/deploy/approve")]
    public async Task Actions_Return401_WhenNoTokenIsSent(string action)
    {
        var (client, id) = await QueuedRunAsync();
        using var _ = client;
        using var anonymous = app.Client(token: null);

        using var response = await anonymous.PostAsync($"/api/runs/{id}/{action}", content: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("retry")]
    [InlineData("jobs/deploy/approve")]
    public async Task Actions_Return404Problem_WhenTheRunDoesNotExist(string action)
    {
        using var client = app.Client();

        using var response = await client.PostAsJsonAsync($"/api/runs/424242/{action}", new { });

        await Api.ProblemAsync(response, HttpStatusCode.NotFound);
    }
}
