using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Backends;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.ForgeStatuses;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server;

/// <summary>
/// Runs before anything serves, once the database is migrated (<see cref="DatabasePreparation"/>): registers the bootstrap admin, and recovers from a crash —
/// attempts of the previous process's embedded agent are lost (queued again once; with replicas, once their leases expired), containers and workspaces of
/// dead processes are removed, unfinished runs are advanced again, and the resend of commit statuses left unsettled and the sweep of uploads left are scheduled.
/// </summary>
public sealed class ServerStartup(IServiceScopeFactory scopes, IExecutionBackend backend, StartupReport report) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<PipelinerDbContext>();
        var database = services.GetRequiredService<IDatabaseProvider>();
        await services.GetRequiredService<BootstrapAdmin>().EnsureAsync(cancellationToken);

        // One server: whatever its embedded agent was running died with the previous process, and remote agents could not
        // extend their leases while it was down. Replicas share the database and another live replica (on this machine, with
        // the same agent name) may be running jobs, which other replicas kept serving: attempts are lost only when their
        // leases expire (the housekeeping's sweep), never because this replica started.
        var sweeper = services.GetRequiredService<LeaseSweeper>();
        if (database.SupportsReplicas)
        {
            await sweeper.SweepExpiredAsync();
        }
        else
        {
            await sweeper.SweepAsync(EmbeddedAgent.Name, cancellationToken);
            await GiveRemoteLeasesGraceAsync(db, services, cancellationToken);
        }
        await RemoveLeftoversAsync(services, cancellationToken);

        string[] finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
        var unfinished = await db.Runs.Where(r => !finished.Contains(r.Status)).Select(r => r.Id).ToListAsync(cancellationToken);
        var coordinator = services.GetRequiredService<RunCoordinator>();
        foreach (var runId in unfinished) await coordinator.AdvanceAsync(runId, cancellationToken);
        // Commit statuses a previous process left unsettled: their resend goes on the schedule again.
        await services.GetRequiredService<ForgeStatusRedelivery>().ArmIfUnsettledAsync();
        // Uploads a previous process left: their sweep goes on the schedule again.
        await services.GetRequiredService<UploadSweeper>().ArmIfHeldAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Remote agents kept running their jobs while this server was down and could not extend their leases: those leases
    /// start again now, for <c>RestartGrace</c> or the lease if longer, so that no attempt is declared lost for the
    /// server's own outage (an agent that does not come back within it loses its attempts as usual).
    /// </summary>
    private static async Task GiveRemoteLeasesGraceAsync(PipelinerDbContext db, IServiceProvider services, CancellationToken cancellationToken)
    {
        var running = JobStatus.Running.ToName();
        var agent = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Settings.PipelinerOptions>>().Value.Agent;
        var until = services.GetRequiredService<TimeProvider>().GetUtcNow() +
                    (agent.RestartGrace > agent.LeaseDuration ? agent.RestartGrace : agent.LeaseDuration);
        await db.Attempts.Where(a => a.Status == running && a.Agent != null && a.Agent != EmbeddedAgent.Name)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.LeaseExpiresAt, until), cancellationToken);
    }

    private async Task RemoveLeftoversAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        services.GetRequiredService<WorkspaceJanitor>().RemoveOrphans();
        try
        {
            await backend.CheckAvailableAsync(cancellationToken);
            await backend.RemoveOrphansAsync(cancellationToken);
        }
        catch (BackendUnavailableException e)
        {
            // The server still serves (history, API); jobs fail with the reason until an engine is there. The banner says so.
            report.BackendProblem = e.Message;
        }
    }
}
