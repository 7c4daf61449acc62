using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary><c>on.schedule</c>: each cron of the default branch's pipeline is a Hangfire recurring job that makes a schedule run.</summary>
public class ScheduleTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    private const string Nightly = """
        on:
          push: { branches: [main] }
          schedule: ["0 3 * * *", "30 12 * * 1"]
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["echo nightly"]

        """;

    [Fact]
    public async Task Register_AddsARecurringJobPerCron_WhenThePipelineHasSchedules()
    {
        var repository = app.NewRepository(Nightly);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var monitor = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        var jobs = await Poll.UntilAsync(() => Task.FromResult(RecurringJobsOf(project)), found => found.Count == 2,
            "the schedules to be registered; " + string.Join(" | ", monitor.ScheduledJobs(0, 5).Select(j => j.Value.Job?.ToString())
                .Concat(monitor.FailedJobs(0, 5).Select(j => j.Value.ExceptionMessage))), TimeSpan.FromSeconds(60));

        Assert.Equal(["0 3 * * *", "30 12 * * 1"], jobs.Select(j => j.Cron));
    }

    [Fact]
    public async Task ScheduledRun_CreatesAScheduleRunOfTheDefaultBranch_WhenTheCronFires()
    {
        var repository = app.NewRepository(Nightly);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var projectId = await app.WithDbAsync(db => db.Projects.Where(p => p.Name == project).Select(p => p.Id).SingleAsync());

        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ScheduledRunJob>().RunAsync(projectId);

        var page = (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<PageView>(client, $"/api/projects/{project}/runs", Api.Json))!;
        var run = Assert.Single(page.Items);
        Assert.Equal(("schedule", "main", repository.Head()), (run.Event, run.Branch, run.Commit));
    }

    private List<RecurringJobDto> RecurringJobsOf(string project)
    {
        using var connection = app.Services.GetRequiredService<JobStorage>().GetConnection();
        return connection.GetRecurringJobs().Where(j => j.Id.StartsWith($"schedule:{project}:", StringComparison.Ordinal)).OrderBy(j => j.Id).ToList();
    }
}
