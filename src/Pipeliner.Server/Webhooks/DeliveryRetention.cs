using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Hourly housekeeping (Hangfire recurring job): removes deliveries older than <see cref="WebhookOptions.KeepDeliveriesFor"/>
/// and, per project, all but the newest <see cref="WebhookOptions.KeepDeliveries"/>. Pending deliveries stay whatever their age.
/// A forge redelivering a delivery after it was removed is taken as a new one.
/// </summary>
public sealed class DeliveryRetention(PipelinerDbContext db, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<DeliveryRetention> logger)
{
    public const string RecurringJobId = "remove-old-webhook-deliveries";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RemoveOldAsync()
    {
        var settings = options.Value.Webhooks;
        var oldest = time.GetUtcNow() - settings.KeepDeliveriesFor;
        var removed = await Settled().Where(d => d.ReceivedAt < oldest).ExecuteDeleteAsync();

        var projects = await db.WebhookDeliveries.Select(d => d.ProjectId).Distinct().ToListAsync();
        foreach (var project in projects)
        {
            var newestRemoved = await db.WebhookDeliveries.Where(d => d.ProjectId == project).OrderByDescending(d => d.Id)
                .Skip(settings.KeepDeliveries).Select(d => (long?)d.Id).FirstOrDefaultAsync();
            if (newestRemoved is { } below)
                removed += await Settled().Where(d => d.ProjectId == project && d.Id <= below).ExecuteDeleteAsync();
        }

        if (removed > 0) logger.LogInformation("Removed {Count} old webhook deliveries", removed);
        return removed;
    }

    private IQueryable<WebhookDeliveryEntity> Settled() =>
        db.WebhookDeliveries.Where(d => !DeliveryOutcomes.Pending.Contains(d.Outcome));
}
