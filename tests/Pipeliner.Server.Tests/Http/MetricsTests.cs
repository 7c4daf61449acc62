using System.Globalization;
using System.Text.RegularExpressions;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Http;

/// <summary><c>/metrics</c>: Prometheus text with the queue length, jobs by state, webhook latency and job durations.</summary>
public class MetricsTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    [Fact]
    public async Task Metrics_CountJobsDurationsAndWebhooks_AfterARunAndADelivery()
    {
        var repository = app.NewRepository(Pipelines.OneJob);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        Assert.Equal("succeeded", (await client.WaitForFinishAsync(await client.TriggerAsync(project))).Status);
        var ping = WebhookDelivery.Cases["github/ping.json"];
        using (var pong = await client.SendAsync(WebhookDelivery.Request(project, ping, WebhookFixtures.Read(ping.File), Secrets.Webhook, "ping-1")))
            Assert.True(pong.StatusCode == System.Net.HttpStatusCode.Accepted, string.Join("\n", app.Errors.All));
        using var anonymous = app.Client(token: null);

        var text = await anonymous.GetStringAsync("/metrics");

        Assert.True(Value(text, "pipeliner_jobs{state=\"succeeded\"}") >= 1, text);
        Assert.Equal(0, Value(text, "pipeliner_jobs{state=\"running\"}"));
        Assert.Equal(0, Value(text, "pipeliner_queue_length"));
        Assert.True(Value(text, "pipeliner_job_duration_seconds_count{status=\"succeeded\"}") >= 1, text);
        Assert.True(Value(text, "pipeliner_webhook_duration_seconds_count") >= 1, text);
        Assert.Contains("http_request_duration_seconds_count{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_CountTheQueue_WhenJobsWaitForAnAgentWithOtherLabels()
    {
        const string pipeline = """
            stages: [test]
            defaults: { image: alpine:3 }
            jobs:
              gpu:
                stage: test
                runs-on: [gpu]
                script: ["echo gpu"]

            """;
        var repository = app.NewRepository(pipeline);
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, repository);
        await client.TriggerAsync(project);

        var text = await client.GetStringAsync("/metrics");

        Assert.True(Value(text, "pipeliner_queue_length") >= 1, text);
        Assert.True(Value(text, "pipeliner_jobs{state=\"pending\"}") >= 1, text);
    }

    [Fact]
    public async Task Metrics_CountAgentProtocolBytes_WhenAnAgentCalls()
    {
        using var client = app.Client();
        var before = await client.GetStringAsync("/metrics");
        using var agent = app.Client(token: null);

        using (var refused = await agent.GetAsync(Pipeliner.Agent.Contracts.AgentRoutes.Log(1)))
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        using (await agent.GetAsync("/api/projects")) { }

        var after = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Counter(after, "pipeliner_agent_protocol_requests_total") - Counter(before, "pipeliner_agent_protocol_requests_total"));
        // The request line and headers in; the status line, headers and problem document out (the /api call is not counted).
        var received = Counter(after, "pipeliner_agent_protocol_bytes_total{direction=\"in\"}") - Counter(before, "pipeliner_agent_protocol_bytes_total{direction=\"in\"}");
        var sent = Counter(after, "pipeliner_agent_protocol_bytes_total{direction=\"out\"}") - Counter(before, "pipeliner_agent_protocol_bytes_total{direction=\"out\"}");
        Assert.InRange(received, 40, 1000);
        Assert.InRange(sent, 100, 3000);
    }

    private static double Counter(string text, string series) =>
        Regex.IsMatch(text, $"^{Regex.Escape(series)} ", RegexOptions.Multiline) ? Value(text, series) : 0;

    private static double Value(string text, string series)
    {
        var match = Regex.Match(text, $"^{Regex.Escape(series)} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
