using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Prometheus;

namespace Pipeliner.Server.Http;

/// <summary>
/// What <c>/metrics</c> tells Prometheus besides HTTP figures: the queue length and jobs by state (read from the
/// database at each scrape), webhook answer latency and job durations. The registry is this server's own.
/// </summary>
public sealed class ServerMetrics
{
    private readonly Gauge _queueLength;
    private readonly Gauge _jobs;
    private readonly Histogram _webhookSeconds;
    private readonly Histogram _jobSeconds;
    private readonly Counter _agentBytes;
    private readonly Counter _agentRequests;

    public ServerMetrics(IServiceScopeFactory scopes)
    {
        var metrics = Metrics.WithCustomRegistry(Registry);
        _queueLength = metrics.CreateGauge("pipeliner_queue_length", "Jobs ready to run, waiting for an agent.");
        _jobs = metrics.CreateGauge("pipeliner_jobs", "Jobs by state.", ["state"]);
        _webhookSeconds = metrics.CreateHistogram("pipeliner_webhook_duration_seconds", "Time to answer a webhook delivery.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        _jobSeconds = metrics.CreateHistogram("pipeliner_job_duration_seconds", "How long job attempts ran, by how they ended.",
            new HistogramConfiguration { LabelNames = ["status"], Buckets = Histogram.ExponentialBuckets(0.25, 2, 16) });
        _agentBytes = metrics.CreateCounter("pipeliner_agent_protocol_bytes_total",
            "Bytes of the agent protocol (requests under /api/agent: bodies, request and status lines, headers), by direction (in: from agents).", ["direction"]);
        _agentRequests = metrics.CreateCounter("pipeliner_agent_protocol_requests_total", "Requests of the agent protocol.");
        Registry.AddBeforeCollectCallback(cancellationToken => CountJobsAsync(scopes, cancellationToken));
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void ObserveWebhook(TimeSpan elapsed) => _webhookSeconds.Observe(elapsed.TotalSeconds);

    public void ObserveAgentTraffic(long received, long sent)
    {
        _agentRequests.Inc();
        _agentBytes.WithLabels("in").Inc(received);
        _agentBytes.WithLabels("out").Inc(sent);
    }

    public void ObserveJob(JobStatus status, TimeSpan duration) => _jobSeconds.WithLabels(status.ToName()).Observe(duration.TotalSeconds);

    private async Task CountJobsAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var byState = await db.Jobs.GroupBy(j => j.Status).Select(g => new { State = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        foreach (var state in Enum.GetValues<JobStatus>())
            _jobs.WithLabels(state.ToName()).Set(byState.FirstOrDefault(s => s.State == state.ToName())?.Count ?? 0);
        _queueLength.Set(await db.Jobs.CountAsync(j => j.Ready, cancellationToken));
    }
}
