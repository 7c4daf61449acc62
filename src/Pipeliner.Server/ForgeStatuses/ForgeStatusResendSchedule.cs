using Hangfire;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// Whether the resend of unsettled commit statuses (<see cref="ForgeStatusRedelivery"/>) is on Hangfire's recurring schedule
/// (<c>ForgeStatuses:ResendSchedule</c>). It is only while something may need it: armed when a delivery failed or could not
/// be enqueued, and at start when a previous process left a state unsettled; the pass takes itself off once nothing
/// unsettled is worth sending. Run every 5 minutes with nothing to resend, the pass (Hangfire's whole job path and its
/// queries) read back 11–19 MiB of an idle server's file pages each time (docs/performance.md).
/// </summary>
public sealed class ForgeStatusResendSchedule(IRecurringJobManager recurring, IOptions<PipelinerOptions> options)
{
    /// <summary>Puts the pass on its schedule (again); the next run is at the schedule's next time.</summary>
    public void Arm() =>
        recurring.AddOrUpdate<ForgeStatusRedelivery>(ForgeStatusRedelivery.RecurringJobId, redelivery => redelivery.ResendUnsettledAsync(),
            options.Value.ForgeStatuses.ResendSchedule, new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });

    public void Disarm() => recurring.RemoveIfExists(ForgeStatusRedelivery.RecurringJobId);
}
