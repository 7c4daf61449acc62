using Microsoft.Extensions.Options;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Every few seconds (a third of the lease, between 1 and 10 s): gives up attempts whose agent stopped extending its
/// lease (so a dead agent's job is retried within the lease plus this interval, not at the next minute), advances again
/// runs that a fault left stalled (<see cref="StalledRunRecovery"/>), and words again why ready jobs wait
/// (<see cref="PendingReasons"/>) from the agents online and their free slots.
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
                await scope.ServiceProvider.GetRequiredService<LeaseSweeper>().SweepAsync(agent: null, stoppingToken);
                await scope.ServiceProvider.GetRequiredService<StalledRunRecovery>().RecoverAsync(stoppingToken);
                await scope.ServiceProvider.GetRequiredService<PendingReasonWriter>().RewordAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Agent housekeeping failed; it runs again in {Interval}", interval);
            }
        }
    }
}
