using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// One worker's claim on a delivery row. Every change is a conditional update on the row (the same SQL on SQLite and
/// PostgreSQL), so two workers can never both hold it: a claim succeeds only on a pending delivery that is due and
/// whose previous lease, if any, has expired, and each later write succeeds only while this worker is still the owner.
/// </summary>
public sealed class DeliveryLease
{
    private DeliveryLease(long deliveryId, string owner, TimeSpan duration)
    {
        DeliveryId = deliveryId;
        Owner = owner;
        Duration = duration;
    }

    public long DeliveryId { get; private set; }
    public string Owner { get; }
    public TimeSpan Duration { get; }

    /// <summary>When the lease was last taken or extended by this process.</summary>
    public DateTimeOffset Since { get; private set; }

    /// <summary>
    /// A lease for a row about to be inserted already claimed (its <see cref="WebhookDeliveryEntity.LeaseOwner"/>,
    /// <see cref="WebhookDeliveryEntity.LeaseExpiresAt"/> and one attempt written by the insert itself): the intake hands
    /// the delivery to this process's workers without a claim of its own. <see cref="Inserted"/> names the row.
    /// </summary>
    public static DeliveryLease ForNewRow(TimeSpan duration, DateTimeOffset now) =>
        new(0, Guid.NewGuid().ToString("N"), duration) { Since = now };

    /// <summary>The row inserted with this lease's owner.</summary>
    public DeliveryLease Inserted(long deliveryId)
    {
        DeliveryId = deliveryId;
        return this;
    }

    /// <returns>Null when the delivery is settled, not due yet, or held by a live worker.</returns>
    public static async Task<DeliveryLease?> ClaimAsync(
        PipelinerDbContext db, long deliveryId, TimeSpan duration, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = new DeliveryLease(deliveryId, Guid.NewGuid().ToString("N"), duration) { Since = now };
        var until = now + duration;
        var claimed = await Claimable(db, now).Where(d => d.Id == deliveryId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(d => d.LeaseOwner, lease.Owner)
                .SetProperty(d => d.LeaseExpiresAt, until)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        return claimed == 1 ? lease : null;
    }

    /// <summary>
    /// Pending deliveries a worker may take now: due, and either only queued (no owner) or left by a worker whose lease
    /// expired.
    /// </summary>
    public static IQueryable<WebhookDeliveryEntity> Claimable(PipelinerDbContext db, DateTimeOffset now) =>
        db.WebhookDeliveries.Where(d => DeliveryOutcomes.Pending.Contains(d.Outcome)
                                        && (d.LeaseOwner == null || d.LeaseExpiresAt < now)
                                        && (d.NextAttemptAt == null || d.NextAttemptAt <= now));

    /// <summary>Pending deliveries nobody has, or will have soon: none queued recently, no live worker.</summary>
    public static IQueryable<WebhookDeliveryEntity> Abandoned(PipelinerDbContext db, DateTimeOffset now) =>
        db.WebhookDeliveries.Where(d => DeliveryOutcomes.Pending.Contains(d.Outcome)
                                        && (d.LeaseExpiresAt == null || d.LeaseExpiresAt < now)
                                        && (d.NextAttemptAt == null || d.NextAttemptAt <= now));

    /// <returns>False when another worker took the delivery over: this one must stop.</returns>
    public async Task<bool> ExtendAsync(PipelinerDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + Duration;
        if (await Mine(db).ExecuteUpdateAsync(set => set.SetProperty(d => d.LeaseExpiresAt, until), cancellationToken) != 1) return false;
        Since = now;
        return true;
    }

    /// <summary>Ends the processing with its outcome, and gives the row up.</summary>
    /// <returns>False when another worker took the delivery over: nothing was written.</returns>
    public async Task<bool> SettleAsync(PipelinerDbContext db, string outcome, string? message, long? runId, CancellationToken cancellationToken) =>
        await Settle.For(db).ExecuteNonQueryAsync(db, [outcome, message, runId, DeliveryId, Owner], cancellationToken) == 1;

    // Every delivery settles once: one statement written once, not an ExecuteUpdate translated again per call.
    private static readonly SqlRowsPerModel Settle = new(sql =>
    {
        var deliveries = sql.Table<WebhookDeliveryEntity>();
        ModelColumn Column(string property) => deliveries.Column(property);
        var (outcome, message, runId) = (Column(nameof(WebhookDeliveryEntity.Outcome)), Column(nameof(WebhookDeliveryEntity.Message)), Column(nameof(WebhookDeliveryEntity.RunId)));
        var (id, owner) = (Column(nameof(WebhookDeliveryEntity.Id)), Column(nameof(WebhookDeliveryEntity.LeaseOwner)));
        return $"UPDATE {deliveries.Name} SET {outcome.Name} = {sql.Parameter(outcome)}, {message.Name} = {sql.Parameter(message)}, " +
               $"{runId.Name} = {sql.Parameter(runId)}, {Column(nameof(WebhookDeliveryEntity.NextAttemptAt)).Name} = NULL, " +
               $"{owner.Name} = NULL, {Column(nameof(WebhookDeliveryEntity.LeaseExpiresAt)).Name} = NULL " +
               $"WHERE {id.Name} = {sql.Parameter(id)} AND {owner.Name} = {sql.Parameter(owner)}";
    });

    /// <summary>Gives the row up to be tried again at <paramref name="nextAttemptAt"/>.</summary>
    public async Task<bool> RetryAtAsync(PipelinerDbContext db, DateTimeOffset nextAttemptAt, string message, CancellationToken cancellationToken) =>
        await Mine(db).ExecuteUpdateAsync(set => set
            .SetProperty(d => d.Outcome, DeliveryOutcomes.Retrying)
            .SetProperty(d => d.Message, message)
            .SetProperty(d => d.NextAttemptAt, nextAttemptAt)
            .SetProperty(d => d.LeaseOwner, (string?)null)
            .SetProperty(d => d.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken) == 1;

    private IQueryable<WebhookDeliveryEntity> Mine(PipelinerDbContext db) =>
        db.WebhookDeliveries.Where(d => d.Id == DeliveryId && d.LeaseOwner == Owner);
}
