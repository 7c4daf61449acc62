using Hangfire;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Agents;

/// <summary>
/// Whether the sweep of orphan uploads (<see cref="UploadSweeper"/>) is on Hangfire's recurring schedule: only while some
/// attempt holds uploads. Armed when an upload starts arriving and at start when uploads are held; the sweep takes itself
/// off once none is left. Run every 10 minutes on a server with nothing to sweep, it took Hangfire's whole job path and
/// read back the file pages of an idle server each time (docs/performance.md).
/// </summary>
public sealed class UploadSweepSchedule(IRecurringJobManager recurring, IDatabaseProvider database)
{
    private volatile bool _armedHere;

    public void Arm()
    {
        // On one process only this process takes it off again (Disarm below): armed once, it stays so until then, and an upload
        // need not ask Hangfire's storage again. Replicas may take it off from elsewhere: every upload arms it there.
        if (_armedHere && !database.SupportsReplicas) return;
        recurring.AddOrUpdate<UploadSweeper>(UploadSweeper.RecurringJobId, sweeper => sweeper.SweepScheduledAsync(), UploadSweeper.Schedule);
        _armedHere = true;
    }

    public void Disarm()
    {
        _armedHere = false;
        recurring.RemoveIfExists(UploadSweeper.RecurringJobId);
    }
}
