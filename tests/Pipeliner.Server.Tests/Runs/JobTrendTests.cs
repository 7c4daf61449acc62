using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// <c>GET /api/projects/{project}/jobs/{job}/trend</c>: a job's duration, peak memory and CPU time over its recent runs,
/// measured by the embedded agent on the real Docker engine and stored per attempt, and the limits it runs under.
/// </summary>
public class JobTrendTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    /// <summary>
    /// A job that keeps a core busy for five to six seconds, so that the engine's stats (sampled every half second after the
    /// first half second) see its memory and CPU time also on a loaded machine: with 1–2 s, a first sample answered late
    /// came after the container's end, and the attempt had no peak memory (a CI failure).
    /// </summary>
    private const string BusyJob = """
        stages: [test]
        jobs:
          stress:
            stage: test
            image: alpine:3
            script:
              - end=$(( $(date +%s) + 6 )); while [ $(date +%s) -lt $end ]; do :; done
          quick:
            stage: test
            image: alpine:3
            timeout: 5m
            resources: { memory: 256Mi }
            script: ["true"]
        """;

    [Fact]
    public async Task Trend_GivesDurationPeakMemoryAndCpuTimeOfEachFinishedAttempt_OldestFirst()
    {
        var repository = app.NewRepository(BusyJob);
        using var admin = app.Client();
        var project = await admin.CreateProjectAsync(app, repository);
        var first = await admin.TriggerAsync(project);
        await admin.WaitForFinishAsync(first, TimeSpan.FromMinutes(3));
        var second = await admin.TriggerAsync(project, new { branch = "main" });
        var run = await admin.WaitForFinishAsync(second, TimeSpan.FromMinutes(3));
        var attempt = run.Jobs.Single(j => j.Id == "stress").Attempts.Single();
        Assert.True(attempt.CpuTimeMs > 0, $"the run's attempt has no CPU time: {attempt}");

        var trend = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/jobs/stress/trend", Api.Json);

        Assert.Equal(("stress", JsonValueKind.Null), (trend.GetProperty("job").GetString(), trend.GetProperty("branch").ValueKind));
        var points = trend.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([first, second], points.Select(p => p.GetProperty("runId").GetInt64()));
        Assert.Equal([1, 2], points.Select(p => p.GetProperty("number").GetInt32()));
        foreach (var point in points)
        {
            Assert.Equal(("succeeded", 1, "main"), (point.GetProperty("status").GetString(), point.GetProperty("attempt").GetInt32(), point.GetProperty("branch").GetString()));
            // The loop ends 6 s after the second it started in: between 5 and 6 s of busy work.
            Assert.InRange(point.GetProperty("durationSeconds").GetDouble(), 5.0, 180);
            Assert.True(point.GetProperty("peakMemoryBytes").GetInt64() > 0, $"no peak memory: {point}");
            Assert.InRange(point.GetProperty("cpuTimeMs").GetInt64(), 1, 60_000);
        }

        Assert.Equal(attempt.CpuTimeMs, points[1].GetProperty("cpuTimeMs").GetInt64());
        // What the job may use, so that a chart shows how close it comes: its memory limit and timeout as planned. One
        // that sets none runs under the defaults: the server's memory (Pipeliner:Limits:Memory, 4Gi) and an hour.
        var limits = trend.GetProperty("limits");
        Assert.Equal((4L << 30, 3600.0), (limits.GetProperty("memoryBytes").GetInt64(), limits.GetProperty("timeoutSeconds").GetDouble()));
        var quick = (await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/jobs/quick/trend", Api.Json)).GetProperty("limits");
        Assert.Equal((256L << 20, 300.0), (quick.GetProperty("memoryBytes").GetInt64(), quick.GetProperty("timeoutSeconds").GetDouble()));

        // The latest one only; another branch has none; an unknown job has no points.
        var latest = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/jobs/stress/trend?limit=1", Api.Json);
        Assert.Equal([second], latest.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("runId").GetInt64()));
        var other = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/jobs/stress/trend?branch=develop", Api.Json);
        Assert.Equal(0, other.GetProperty("points").GetArrayLength());
        var none = await admin.GetFromJsonAsync<JsonElement>($"/api/projects/{project}/jobs/no-such-job/trend", Api.Json);
        Assert.Equal(0, none.GetProperty("points").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("limits").ValueKind);
    }

    [Fact]
    public async Task Trend_AnswersWithAClearProblem_WhenTheProjectIsUnknownOrTheLimitOutOfRange()
    {
        using var admin = app.Client();
        var unknown = await Api.ProblemAsync(await admin.GetAsync("/api/projects/no-such-project/jobs/build/trend"), HttpStatusCode.NotFound);
        Assert.Equal("no project 'no-such-project'", unknown.Detail());
        var project = await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        foreach (var limit in new[] { 0, 101 })
        {
            var problem = await Api.ProblemAsync(await admin.GetAsync($"/api/projects/{project}/jobs/build/trend?limit={limit}"), HttpStatusCode.BadRequest);
            Assert.Equal("limit is between 1 and 100 attempts (default 20)", problem.Detail());
        }
    }
}
