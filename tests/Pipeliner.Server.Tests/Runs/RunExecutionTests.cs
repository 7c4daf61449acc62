using System.Net;
using System.Net.Http.Json;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>Runs carried out by the embedded agent in real containers: success, failure, cancel, retry and approval.</summary>
public class RunExecutionTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    [Fact]
    public async Task Run_SucceedsWithAnAttemptPerJob_WhenEveryJobExitsZero()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("succeeded", run.Status);
        Assert.NotNull(run.StartedAt);
        Assert.True(run.FinishedAt >= run.StartedAt);
        Assert.All(run.Jobs, job =>
        {
            Assert.Equal("succeeded", job.Status);
            var attempt = Assert.Single(job.Attempts);
            Assert.Equal((1, "succeeded", 0), (attempt.Number, attempt.Status, attempt.ExitCode));
            Assert.StartsWith("embedded@", attempt.Agent, StringComparison.Ordinal);
            Assert.True(attempt.FinishedAt >= attempt.StartedAt);
        });
        Assert.True(run.Job("test").StartedAt >= run.Job("build").FinishedAt, "test needs build: it starts after build ends");
    }

    [Fact]
    public async Task Run_FailsAndSkipsDependents_WhenAJobExitsNonZero()
    {
        const string pipeline = """
            stages: [build, test]
            defaults: { image: alpine:3 }
            jobs:
              build:
                stage: build
                script: ["echo about to fail", "exit 3"]
              test:
                stage: test
                needs: [build]
                script: ["echo never"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);

        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        Assert.Equal("failed", run.Status);
        var build = run.Job("build");
        Assert.Equal("failed", build.Status);
        Assert.Equal(3, Assert.Single(build.Attempts).ExitCode);
        Assert.Equal("exit code 3", build.Reason);
        Assert.Equal("skipped", run.Job("test").Status);
        Assert.Contains("build", run.Job("test").Reason, StringComparison.Ordinal);
        Assert.Contains("about to fail", await client.LogAsync(run.Id, "build"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_StopsTheRunningContainerAndCancelsTheRun_WhenAJobIsRunning()
    {
        var job = $"sleeper-{Guid.NewGuid():N}"[..20];
        var pipeline = $$"""
            stages: [build, test]
            defaults: { image: alpine:3 }
            jobs:
              {{job}}:
                stage: build
                script: ["echo started", "sleep 300"]
              after:
                stage: test
                needs: [{{job}}]
                script: ["echo never"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        await client.WaitForJobAsync(id, job, "running");
        await Poll.UntilAsync(() => DockerProbe.JobContainersAsync(job), c => c.Any(x => x.State == "running"), "the job's container to run");

        using var response = await client.PostAsync($"/api/runs/{id}/cancel", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var run = await client.GetRunAsync(id);
        Assert.Equal("canceled", run.Status);
        Assert.Equal("canceled", run.Job(job).Status);
        Assert.Equal("canceled", run.Job("after").Status);
        Assert.Equal("canceled", Assert.Single(run.Job(job).Attempts).Status);
        await Poll.UntilAsync(() => DockerProbe.JobContainersAsync(job), c => c.Count == 0, "the canceled job's container to be removed",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Cancel_Returns409_WhenTheRunHasFinished()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var run = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        using var response = await client.PostAsync($"/api/runs/{run.Id}/cancel", content: null);

        var problem = await Api.ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("succeeded", problem.Detail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_RerunsFailedJobsAndTheirSkippedDependents_WhenTheyFailedBefore()
    {
        // 'flaky' passes once the cache holds flag/ok, which a later run of the same branch saves under the same cache key.
        const string pipeline = """
            stages: [build, test]
            defaults: { image: alpine:3 }
            jobs:
              flaky:
                stage: build
                cache: { key: retry-flag, paths: [flag] }
                script: ["test -f flag/ok"]
              after:
                stage: test
                needs: [flaky]
                script: ["echo after ran"]

            """;
        const string seed = """
            stages: [seed]
            defaults: { image: alpine:3 }
            jobs:
              seed:
                stage: seed
                cache: { key: retry-flag, paths: [flag] }
                script: ["mkdir -p flag", "touch flag/ok"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var failed = await client.WaitForFinishAsync(await client.TriggerAsync(project));
        Assert.Equal(("failed", "skipped"), (failed.Job("flaky").Status, failed.Job("after").Status));
        repository.Commit("seed the cache", new Dictionary<string, string?> { [".pipeliner.yml"] = seed });
        Assert.Equal("succeeded", (await client.WaitForFinishAsync(await client.TriggerAsync(project))).Status);

        using var response = await client.PostAsJsonAsync($"/api/runs/{failed.Id}/retry", new { });

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var retried = await client.WaitForFinishAsync(failed.Id);
        Assert.Equal("succeeded", retried.Status);
        Assert.Equal(["failed", "succeeded"], retried.Job("flaky").Attempts.Select(a => a.Status));
        Assert.Equal("succeeded", Assert.Single(retried.Job("after").Attempts).Status);
        Assert.Contains("after ran", await client.LogAsync(failed.Id, "after"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retry_RerunsEveryJob_WhenAllIsAsked()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var first = await client.WaitForFinishAsync(await client.TriggerAsync(project));
        Assert.Equal("succeeded", first.Status);

        using var response = await client.PostAsJsonAsync($"/api/runs/{first.Id}/retry", new { all = true });

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var again = await client.WaitForRunAsync(first.Id, r => r.IsFinished && r.Jobs.All(j => j.Attempts.Count == 2), "every job's second attempt");
        Assert.Equal("succeeded", again.Status);
        Assert.All(again.Jobs, job => Assert.Equal(["succeeded", "succeeded"], job.Attempts.Select(a => a.Status)));
    }

    [Fact]
    public async Task Retry_RerunsOnlyTheNamedJob_WhenJobsAreNamed()
    {
        var repository = app.NewRepository(Pipelines.BuildAndTest);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var first = await client.WaitForFinishAsync(await client.TriggerAsync(project));

        using var response = await client.PostAsJsonAsync($"/api/runs/{first.Id}/retry", new { jobs = new[] { "test" } });

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var again = await client.WaitForRunAsync(first.Id, r => r.IsFinished && r.Job("test").Attempts.Count == 2, "test's second attempt");
        Assert.Single(again.Job("build").Attempts);
        Assert.Equal("succeeded", again.Status);
    }

    [Fact]
    public async Task Approve_RunsTheManualJob_WhenAReleaseManagerApproves()
    {
        const string pipeline = """
            stages: [build, deploy]
            defaults: { image: alpine:3 }
            jobs:
              build:
                stage: build
                script: ["echo build"]
              deploy:
                stage: deploy
                needs: [build]
                when: manual
                script: ["echo deploying"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        var id = await client.TriggerAsync(project);
        var waiting = await client.WaitForRunAsync(id, r => r.Status == "waiting", "to wait for approval");
        Assert.Equal("succeeded", waiting.Job("build").Status);
        Assert.Equal(("pending", "waiting for approval"), (waiting.Job("deploy").Status, waiting.Job("deploy").Reason));
        Assert.Empty(waiting.Job("deploy").Attempts);
        using var releaseManager = app.Client(await app.CreateTokenAsync(Role.ReleaseManager));

        using var response = await releaseManager.PostAsync($"/api/runs/{id}/jobs/deploy/approve", content: null);

        await Api.ExpectAsync(response, HttpStatusCode.Accepted);
        var run = await client.WaitForFinishAsync(id);
        Assert.Equal("succeeded", run.Status);
        Assert.Equal("succeeded", run.Job("deploy").Status);
        Assert.StartsWith("release-manager", run.Job("deploy").ApprovedBy, StringComparison.Ordinal);
        Assert.Contains("deploying", await client.LogAsync(id, "deploy"), StringComparison.Ordinal);
    }
}
