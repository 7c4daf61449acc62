using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Every few seconds (a third of the lease, between 1 and 10 s) runs an <see cref="AgentHousekeepingPass"/>: a dead
/// agent's job is retried within the lease plus this interval, not at the next minute; runs a fault left stalled are
/// advanced again (<see cref="Scheduling.StalledRunRecovery"/>); why ready jobs wait is worded again from the agents
/// online and their free slots (<see cref="PendingReasons"/>).
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
                await scope.ServiceProvider.GetRequiredService<AgentHousekeepingPass>().RunAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Agent housekeeping failed; it runs again in {Interval}", interval);
            }
        }
    }
}
