using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>
/// An accepted delivery's row inserted once per forge delivery id (<see cref="DeliveryLog.TryAddAsync"/>), on a real SQLite
/// and PostgreSQL database: the first insert stores every value as the model reads it back, the same delivery again stores
/// nothing and says so.
/// </summary>
public sealed class DeliveryLogTests : ScratchDatabaseTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task TryAddAsync_StoresTheDeliveryOnce_AndReturnsNullForItAgain(TestDatabase database)
    {
        await CreateDatabaseAsync(database, "deliverylog");
        var project = await Database.AddProjectAsync();
        var receivedAt = new DateTimeOffset(2026, 12, 6, 14, 10, 0, 5, TimeSpan.FromHours(1)).AddTicks(77);
        WebhookDeliveryEntity Delivery() => new()
        {
            ProjectId = project.Id, DeliveryId = "d-1", UniqueDeliveryId = "d-1", Forge = "github", Event = "push", Ref = "refs/heads/main",
            Commit = new string('b', 40), Outcome = DeliveryOutcomes.Received, EventJson = """{"kind":"push"}""", ReceivedAt = receivedAt,
            Attempts = 1, LeaseOwner = "worker", LeaseExpiresAt = receivedAt.AddMinutes(5),
        };
        var first = Delivery();

        long? firstId, secondId;
        await using (var db = Database.Context())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            var log = new DeliveryLog(db);
            firstId = await log.TryAddAsync(first, CancellationToken.None);
            secondId = await log.TryAddAsync(Delivery(), CancellationToken.None);
            await transaction.CommitAsync();
        }

        await using var read = Database.Context();
        var stored = await read.WebhookDeliveries.AsNoTracking().SingleAsync();
        Assert.Equal((stored.Id, (long?)null), (firstId!.Value, secondId));
        foreach (var column in ModelTable.Of<WebhookDeliveryEntity>(read).Columns)
            Assert.True(Equals(column.ValueOf(first), column.ValueOf(stored)), $"{column.Property.Name}: inserted {column.ValueOf(first)}, stored {column.ValueOf(stored)}");
    }
}
