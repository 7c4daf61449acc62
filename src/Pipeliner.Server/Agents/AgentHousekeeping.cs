using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Every few seconds (a third of the lease, between 1 and 10 s): gives up attempts whose agent stopped extending its
/// lease (so a dead agent's job is retried within the lease plus this interval, not at the next minute), advances again
/// runs that a fault left stalled (<see cref="StalledRunRecovery"/>), and words again why ready jobs wait
/// (<see cref="PendingReasons"/>) from the agents online and their free slots. All three concern only jobs not finished
/// (queued, pending or running); when there are none, as on an idle server, a pass is one query that finds none
/// (<see cref="AnyJobInFlightAsync"/>) instead of four. On one process, after such a pass the next one waits for the
/// dispatch signal (every change there that makes a job claimable rings it, and a lease or a reason needs a claimable job
/// first), or at most <see cref="IdleRecheck"/> for a run a fault left stalled: an idle server then runs no query every few
/// seconds, and the query's code is not read back after the idle page-out (docs/performance.md).
/// </summary>
public sealed class AgentHousekeeping(
    IServiceScopeFactory scopes, DispatchSignal dispatch, IDatabaseProvider database, IOptions<PipelinerOptions> options, TimeProvider time,
    ILogger<AgentHousekeeping> logger) : BackgroundService
{
    /// <summary>The longest an idle pass on one process waits for the dispatch signal before looking again anyway.</summary>
    public static readonly TimeSpan IdleRecheck = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(options.Value.Agent.LeaseDuration.Ticks / 3, TimeSpan.TicksPerSecond, 10 * TimeSpan.TicksPerSecond));
        var notified = dispatch.Next;
        var inFlight = true;
        while (true)
        {
            await UntilNextPassAsync(inFlight || database.SupportsReplicas ? null : notified, interval, time, stoppingToken);
            // Taken before the pass: a job made ready while it looks is not missed by the wait after it.
            notified = dispatch.Next;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                inFlight = await PassAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                inFlight = true;
                logger.LogWarning(e, "Agent housekeeping failed; it runs again in {Interval}", interval);
            }
        }
    }

    /// <summary>
    /// The wait before a pass: <paramref name="interval"/>, after <paramref name="signal"/> (the dispatch signal taken before
    /// an idle pass) has rung or <see cref="IdleRecheck"/> has passed when there is one.
    /// </summary>
    public static async Task UntilNextPassAsync(Task? signal, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        if (signal is not null) await DispatchSignal.WaitAsync(signal, IdleRecheck, cancellationToken);
        await Task.Delay(interval, time, cancellationToken);
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
