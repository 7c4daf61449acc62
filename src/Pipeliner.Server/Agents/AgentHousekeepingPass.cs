using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Data;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Agents;

/// <summary>
/// One pass of <see cref="AgentHousekeeping"/>, in a scope of its own: gives up attempts whose lease expired, advances
/// stalled runs and words again why ready jobs wait. All three concern only jobs not finished (queued, pending or
/// running); when there are none, as on an idle server, the pass is one query that finds none instead of four
/// (docs/performance.md).
/// </summary>
public sealed class AgentHousekeepingPass(
    PipelinerDbContext db, LeaseSweeper leases, StalledRunRecovery stalledRuns, PendingReasonWriter pendingReasons)
{
    /// <summary>False when no job was in flight, so there was nothing to sweep, recover or reword.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        if (!await AnyJobInFlightAsync(cancellationToken)) return false;
        await leases.SweepAsync(agent: null, cancellationToken);
        await stalledRuns.RecoverAsync(cancellationToken);
        await pendingReasons.RewordAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Whether a job is queued, pending or running, or holds the ready flag: an expired lease is a running job's (the sweep
    /// gives up only a running job's attempt), a stalled run has a queued job or a pending one a claim took, a reason is
    /// worded for a ready job. One read of the jobs' status index.
    /// </summary>
    public Task<bool> AnyJobInFlightAsync(CancellationToken cancellationToken)
    {
        string[] inFlight = [JobStatus.Queued.ToName(), JobStatus.Pending.ToName(), JobStatus.Running.ToName()];
        return db.Jobs.AnyAsync(j => inFlight.Contains(j.Status) || j.Ready, cancellationToken);
    }
}
