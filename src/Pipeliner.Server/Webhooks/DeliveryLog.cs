using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Webhooks;

/// <summary>Writes webhook deliveries as they arrive: accepted ones once per forge delivery id, refused ones counted.</summary>
public sealed class DeliveryLog(PipelinerDbContext db)
{
    /// <summary>
    /// Adds the delivery unless the project has one with the same <see cref="WebhookDeliveryEntity.UniqueDeliveryId"/>: the
    /// insert itself skips a row the unique index refuses (a delivery sent again, or twice at the same moment), so a
    /// duplicate never becomes an exception, nor an error in the log.
    /// </summary>
    /// <returns>The new row's id; null for a duplicate.</returns>
    public async Task<long?> TryAddAsync(WebhookDeliveryEntity delivery, CancellationToken cancellationToken)
    {
        if (delivery.UniqueDeliveryId is null)
        {
            db.WebhookDeliveries.Add(delivery);
            await db.SaveChangesAsync(cancellationToken);
            return delivery.Id;
        }

        // INSERT … ON CONFLICT DO NOTHING RETURNING: the same statement on SQLite and PostgreSQL, one round trip whether or not
        // the delivery is new (no query for it first), written once per model (SqlRows).
        var values = ModelTable.Of<WebhookDeliveryEntity>(db).InsertedValues([delivery]);
        await using var reader = await InsertUnlessKnown.For(db).ExecuteReaderAsync(db, values, cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        delivery.Id = reader.DbDataReader.GetInt64(0);
        return delivery.Id;
    }

    private static readonly SqlRowsPerModel InsertUnlessKnown = new(sql =>
    {
        var deliveries = sql.Table<WebhookDeliveryEntity>();
        return $"{sql.InsertInto(deliveries, 1)} ON CONFLICT DO NOTHING RETURNING {deliveries.Column(nameof(WebhookDeliveryEntity.Id)).Name}";
    });

    /// <summary>Whether the project has a row of the delivery with this forge delivery id (a read: it waits for no writer).</summary>
    public Task<bool> ExistsAsync(int projectId, string uniqueDeliveryId, CancellationToken cancellationToken) =>
        Exists.For(db)(db, projectId, uniqueDeliveryId, cancellationToken);

    // Every accepted delivery asks (the journal's path): compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, int, string, CancellationToken, Task<bool>>> Exists = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, int projectId, string uniqueDeliveryId, CancellationToken _) =>
            db.WebhookDeliveries.Any(d => d.ProjectId == projectId && d.UniqueDeliveryId == uniqueDeliveryId)));

    /// <summary>
    /// Records a delivery refused before its payload was trusted (kept without it). When the project's newest delivery
    /// is the same refusal, it is counted on that row instead, so a flood of bad deliveries is one row.
    /// </summary>
    public async Task RecordRefusalAsync(
        int projectId, string forge, string? eventName, string? deliveryId, string outcome, string message, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var newest = await db.WebhookDeliveries.AsNoTracking().Where(d => d.ProjectId == projectId).OrderByDescending(d => d.Id)
            .Select(d => new { d.Id, d.Outcome, d.Message }).FirstOrDefaultAsync(cancellationToken);
        if (newest is not null && newest.Outcome == outcome && newest.Message == message)
        {
            var counted = await db.WebhookDeliveries.Where(d => d.Id == newest.Id && d.Outcome == outcome)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(d => d.Count, d => d.Count + 1)
                    .SetProperty(d => d.ReceivedAt, now)
                    .SetProperty(d => d.DeliveryId, deliveryId)
                    .SetProperty(d => d.Event, eventName ?? "unknown"), cancellationToken);
            if (counted == 1) return;
        }

        db.WebhookDeliveries.Add(new WebhookDeliveryEntity
        {
            ProjectId = projectId,
            DeliveryId = deliveryId,
            Forge = forge,
            Event = eventName ?? "unknown",
            Outcome = outcome,
            Message = message,
            ReceivedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
    }
}
