using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Every few seconds (a third of the lease, between 1 and 10 s): gives up attempts whose agent stopped extending its
/// lease (so a dead agent's job is retried within the lease plus this interval, not at the next minute), advances again
/// runs that a fault left stalled (<see cref="StalledRunRecovery"/>), and words again why ready jobs wait
/// (<see cref="PendingReasons"/>) from the agents online and their free slots. All three concern only jobs not finished
/// (queued, pending or running); when there are none, as on an idle server, a pass is one query that finds none
/// (<see cref="AnyJobInFlightAsync"/>) instead of four (docs/performance.md).
/// </summary>
public sealed class AgentHousekeeping(
    IServiceScopeFactory scopes, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<AgentHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(options.Value.Agent.LeaseDuration.Ticks / 3, TimeSpan.TicksPerSecond, 10 * TimeSpan.TicksPerSecond));
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await PassAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Agent housekeeping failed; it runs again in {Interval}", interval);
            }
        }
    }

    /// <summary>One pass; false when no job was in flight, so there was nothing to sweep, recover or reword.</summary>
    public static async Task<bool> PassAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!await AnyJobInFlightAsync(services.GetRequiredService<PipelinerDbContext>(), cancellationToken)) return false;
        await services.GetRequiredService<LeaseSweeper>().SweepAsync(agent: null, cancellationToken);
        await services.GetRequiredService<StalledRunRecovery>().RecoverAsync(cancellationToken);
        await services.GetRequiredService<PendingReasonWriter>().RewordAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Whether a job is queued, pending or running, or holds the ready flag: an expired lease is a running job's (the sweep
    /// gives up only a running job's attempt), a stalled run has a queued job or a pending one a claim took, a reason is
    /// worded for a ready job. One read of the jobs' status index.
    /// </summary>
    public static Task<bool> AnyJobInFlightAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        string[] inFlight = [JobStatus.Queued.ToName(), JobStatus.Pending.ToName(), JobStatus.Running.ToName()];
        return db.Jobs.AnyAsync(j => inFlight.Contains(j.Status) || j.Ready, cancellationToken);
    }
}
