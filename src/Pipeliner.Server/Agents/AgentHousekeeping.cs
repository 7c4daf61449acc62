using Microsoft.Extensions.Options;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Every few seconds (a third of the lease, between 1 and 10 s) runs an <see cref="AgentHousekeepingPass"/>: a dead
/// agent's job is retried within the lease plus this interval, not at the next minute; runs a fault left stalled are
/// advanced again (<see cref="StalledRunRecovery"/>); why ready jobs wait is worded again from the agents online and
/// their free slots (<see cref="PendingReasons"/>). On one process, after a pass that found no job in flight the next one
/// waits for the dispatch signal (every change there that makes a job claimable rings it, and a lease or a reason needs
/// a claimable job first), or at most <see cref="IdleRecheck"/> for a run a fault left stalled: an idle server then runs
/// no query every few seconds, and the query's code is not read back after the idle page-out (docs/performance.md).
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
                inFlight = await scope.ServiceProvider.GetRequiredService<AgentHousekeepingPass>().RunAsync(stoppingToken);
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
}
