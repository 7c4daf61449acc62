using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Webhooks;

/// <summary>The hourly housekeeping of deliveries on the server's real database: by age, by count per project, never pending ones.</summary>
public sealed class DeliveryRetentionTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task RemoveOldAsync_KeepsTheNewestOfEachProjectAndPendingOnes_WhenThereAreTooManyOrTooOld()
    {
        using var client = app.Client();
        var first = await ProjectIdAsync(await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob)));
        var second = await ProjectIdAsync(await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob)));
        var now = DateTimeOffset.UtcNow;
        await AddAsync(first, "old-settled", DeliveryOutcomes.Run, now.AddDays(-3));
        await AddAsync(first, "old-retrying", DeliveryOutcomes.Retrying, now.AddDays(-3));
        foreach (var i in Enumerable.Range(1, 4)) await AddAsync(first, $"first-{i}", DeliveryOutcomes.NotTriggered, now.AddMinutes(i));
        foreach (var i in Enumerable.Range(1, 2)) await AddAsync(second, $"second-{i}", DeliveryOutcomes.Ignored, now.AddMinutes(i));

        var removed = await app.WithDbAsync(db => new DeliveryRetention(db,
            Options.Create(new PipelinerOptions { Webhooks = { KeepDeliveries = 3, KeepDeliveriesFor = TimeSpan.FromDays(1) } }),
            TimeProvider.System, NullLogger<DeliveryRetention>.Instance).RemoveOldAsync());

        Assert.Equal(2, removed);
        Assert.Equal(["old-retrying", "first-2", "first-3", "first-4"], await DeliveryIdsAsync(first));
        Assert.Equal(["second-1", "second-2"], await DeliveryIdsAsync(second));
    }

    private Task<int> ProjectIdAsync(string project) =>
        app.WithDbAsync(db => db.Projects.Where(p => p.Name == project).Select(p => p.Id).SingleAsync());

    private Task AddAsync(int projectId, string deliveryId, string outcome, DateTimeOffset receivedAt) => app.WithDbAsync(async db =>
    {
        db.WebhookDeliveries.Add(new WebhookDeliveryEntity
        {
            ProjectId = projectId, DeliveryId = deliveryId, Forge = "github", Event = "push", Outcome = outcome, ReceivedAt = receivedAt,
            NextAttemptAt = outcome == DeliveryOutcomes.Retrying ? receivedAt.AddYears(1) : null,
        });
        await db.SaveChangesAsync();
    });

    private Task<List<string?>> DeliveryIdsAsync(int projectId) =>
        app.WithDbAsync(db => db.WebhookDeliveries.Where(d => d.ProjectId == projectId).OrderBy(d => d.Id).Select(d => d.DeliveryId).ToListAsync());
}
