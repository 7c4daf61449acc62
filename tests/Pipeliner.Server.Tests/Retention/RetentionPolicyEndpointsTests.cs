using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Retention;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Retention;

/// <summary><c>GET</c>/<c>PUT</c>/<c>DELETE /api/projects/{project}/retention</c>: the shape, the defaults and every refusal.</summary>
public sealed class RetentionPolicyEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task PutRetention_StoresTheProjectsPolicy_AndGetShowsItWithTheLimitsInEffect()
    {
        var project = (await new RunSeed(app).ProjectAsync("policy")).Name;
        using var client = app.Client();

        using var put = await client.PutAsync($"/api/projects/{project}/retention",
            Json("""{"keepLastPerBranch": 5, "maxAgeDays": 30, "artifacts": {"maxAgeDays": 7, "maxSize": "2Gi"}, "caches": {"maxSize": "500Mi"}}"""));
        await Api.ExpectAsync(put, HttpStatusCode.OK);
        var read = (await client.GetFromJsonAsync<RetentionResponse>($"/api/projects/{project}/retention", Api.Json))!;

        Assert.Equal(("project", 5, 30, (string?)null), (read.Source, read.KeepLastPerBranch, read.MaxAgeDays, read.MaxSize));
        Assert.Equal(new RetentionLimitsJson(null, 7, "2Gi"), read.Artifacts);
        Assert.Equal(new RetentionLimitsJson(5, 30, null), read.Effective.Logs);
        Assert.Equal(new RetentionLimitsJson(null, 7, "2Gi"), read.Effective.Artifacts);
        Assert.Equal(new RetentionLimitsJson(null, null, "500Mi"), read.Effective.Caches);
    }

    [Fact]
    public async Task GetRetention_ShowsTheServersDefault_UntilTheProjectHasItsOwn_AndAgainAfterDelete()
    {
        var project = (await new RunSeed(app).ProjectAsync("default")).Name;
        using var client = app.Client();

        var before = (await client.GetFromJsonAsync<RetentionResponse>($"/api/projects/{project}/retention", Api.Json))!;
        using (var put = await client.PutAsync($"/api/projects/{project}/retention", Json("""{"keepLastPerBranch": 3, "maxAgeDays": null}""")))
            await Api.ExpectAsync(put, HttpStatusCode.OK);
        var own = (await client.GetFromJsonAsync<RetentionResponse>($"/api/projects/{project}/retention", Api.Json))!;
        using (var delete = await client.DeleteAsync($"/api/projects/{project}/retention")) await Api.ExpectAsync(delete, HttpStatusCode.OK);
        var after = (await client.GetFromJsonAsync<RetentionResponse>($"/api/projects/{project}/retention", Api.Json))!;

        // The server's default: logs without limit, artifacts 30 days, caches 7 days and 10Gi.
        Assert.Equal("server", before.Source);
        Assert.Equal(new RetentionLimitsJson(null, null, null), before.Effective.Logs);
        Assert.Equal(new RetentionLimitsJson(null, 30, null), before.Effective.Artifacts);
        Assert.Equal(new RetentionLimitsJson(null, 7, "10Gi"), before.Effective.Caches);
        // The project's own: artifacts follow the top-level limits, caches the server's default.
        Assert.Equal("project", own.Source);
        Assert.Equal(new RetentionLimitsJson(3, null, null), own.Effective.Artifacts);
        Assert.Equal(new RetentionLimitsJson(null, 7, "10Gi"), own.Effective.Caches);
        Assert.Equal(before, after);
        var audit = await client.GetFromJsonAsync<JsonElement>($"/api/audit?project={project}", Api.Json);
        Assert.Equal(2, audit.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("action").GetString() == "project.retention"));
    }

    [Theory]
    [InlineData("""{"keepLastPerBranch": 0}""", "keepLastPerBranch: a whole number of runs from 1 to 1000000, or null for no limit; it was 0")]
    [InlineData("""{"maxAgeDays": "30"}""", "maxAgeDays: a whole number of days from 1 to 36500, or null for no limit; it was \"30\"")]
    [InlineData("""{"maxAgeDays": 1.5}""", "maxAgeDays: a whole number of days from 1 to 36500, or null for no limit; it was 1.5")]
    [InlineData("""{"maxSize": 1000}""", "maxSize: a size like \"20Gi\" or \"500Mi\" (a string), or null for no limit; it was 1000")]
    [InlineData("""{"maxSize": "5 gigs"}""", "maxSize: invalid size '5 gigs': write a number with a unit, e.g. 512Mi, 1Gi, 500M (Ki/Mi/Gi/Ti or K/M/G/T)")]
    [InlineData("""{"maxSize": "10Ki"}""", "maxSize: at least 1Mi, or null for no limit; it was \"10Ki\"")]
    [InlineData("""{"keepLast": 3}""", "keepLast: not a retention setting (they are keepLastPerBranch, maxAgeDays, maxSize, artifacts, caches)")]
    [InlineData("""{"artifacts": 7}""", "artifacts: an object with keepLastPerBranch, maxAgeDays and maxSize (each null for no limit), or null to follow the top-level limits; it was 7")]
    [InlineData("""{"caches": {"maxAgeDays": -1, "days": 2}}""",
        "caches.days: not a retention setting (they are keepLastPerBranch, maxAgeDays, maxSize); caches.maxAgeDays: a whole number of days from 1 to 36500, or null for no limit; it was -1")]
    [InlineData("""[20, 30]""", "the body is a JSON object, e.g. {\"keepLastPerBranch\": 20, \"maxAgeDays\": 30}; it was an array")]
    [InlineData("""{"maxAgeDays": }""", "the body is not valid JSON (line 1, byte 16); send e.g. {\"keepLastPerBranch\": 20, \"maxAgeDays\": 30}")]
    public async Task PutRetention_Returns400NamingTheField_WhenTheBodyIsWrong(string body, string detail)
    {
        var project = (await new RunSeed(app).ProjectAsync("bad")).Name;
        using var client = app.Client();

        using var response = await client.PutAsync($"/api/projects/{project}/retention", Json(body));

        Assert.Equal(detail, (await Api.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail());
        var read = (await client.GetFromJsonAsync<RetentionResponse>($"/api/projects/{project}/retention", Api.Json))!;
        Assert.Equal("server", read.Source);
    }

    [Fact]
    public async Task Retention_Returns404_WhenTheProjectDoesNotExist()
    {
        using var client = app.Client();

        using var get = await client.GetAsync("/api/projects/no-such-project/retention");
        using var put = await client.PutAsync("/api/projects/no-such-project/retention", Json("""{"maxAgeDays": 3}"""));
        using var preview = await client.PostAsync("/api/retention/preview?project=no-such-project", null);

        foreach (var response in new[] { get, put, preview })
            Assert.Equal("no project 'no-such-project'", (await Api.ProblemAsync(response, HttpStatusCode.NotFound)).Detail());
    }

    [Fact]
    public async Task Preview_Returns400_WhenTheLimitIsOutOfRange()
    {
        using var client = app.Client();

        using var response = await client.PostAsync("/api/retention/preview?limit=-1", null);

        Assert.Equal("limit is how many runs and caches to list, 0 to 100000; it was -1", (await Api.ProblemAsync(response, HttpStatusCode.BadRequest)).Detail());
    }

    [Fact]
    public void NightlyPass_IsARecurringHangfireJob_OnTheConfiguredSchedule()
    {
        using var connection = app.Services.GetRequiredService<JobStorage>().GetConnection();

        var job = Assert.Single(connection.GetRecurringJobs(), j => j.Id == RetentionPass.RecurringJobId);

        Assert.Equal("0 3 * * *", job.Cron);
        Assert.Equal((typeof(RetentionPass), nameof(RetentionPass.ApplyScheduledAsync)), (job.Job.Type, job.Job.Method.Name));
    }
}
