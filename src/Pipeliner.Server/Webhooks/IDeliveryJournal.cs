using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Where the intake records an accepted delivery durably before its <c>202</c> when the database's write lock is one for
/// the whole file (SQLite: <see cref="Data.Providers.SqliteDeliveryJournal"/>, a file of its own), so that the answer
/// waits for no other writer of the database; <see cref="DeliveryTransfer"/> moves each entry into its delivery row right
/// after, and again at the next start for entries a stopped process left. One entry per project and forge delivery id.
/// </summary>
public interface IDeliveryJournal
{
    /// <summary>Records <paramref name="delivery"/>, flushed to disk before this returns.</summary>
    /// <returns>The entry's id; null when the project's delivery with the same <see cref="WebhookDeliveryEntity.UniqueDeliveryId"/> is in the journal already.</returns>
    Task<long?> TryAppendAsync(WebhookDeliveryEntity delivery, CancellationToken cancellationToken);

    /// <summary>Every entry not removed yet, oldest first (what a stopped process left).</summary>
    Task<IReadOnlyList<JournaledDelivery>> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>Removes entries whose delivery rows are stored (durably) in the database.</summary>
    Task RemoveAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken);
}

/// <summary>A journal entry: its id and the delivery row it becomes (not stored yet: no <see cref="WebhookDeliveryEntity.Id"/>).</summary>
public sealed record JournaledDelivery(long EntryId, WebhookDeliveryEntity Delivery);
