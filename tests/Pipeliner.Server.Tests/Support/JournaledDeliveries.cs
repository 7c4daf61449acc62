using System.Text.Json;
using Pipeliner.Forges;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Support;

/// <summary>A GitHub delivery as the intake journals it before its <c>202</c>: received, with the event it read.</summary>
public static class JournaledDeliveries
{
    public static WebhookDeliveryEntity Received(
        int projectId, string deliveryId, string eventJson, string? gitRef, string? commit, DateTimeOffset receivedAt, string eventName = "push") => new()
    {
        ProjectId = projectId,
        DeliveryId = deliveryId,
        UniqueDeliveryId = deliveryId,
        Forge = "github",
        Event = eventName,
        Ref = gitRef,
        Commit = commit,
        Outcome = DeliveryOutcomes.Received,
        EventJson = eventJson,
        ReceivedAt = receivedAt,
    };

    /// <summary>The delivery of <paramref name="forgeEvent"/>, received now.</summary>
    public static WebhookDeliveryEntity Received(int projectId, string deliveryId, ForgeEvent forgeEvent, string eventName = "push") =>
        Received(projectId, deliveryId, JsonSerializer.Serialize(forgeEvent, JsonSerializerOptions.Web), forgeEvent.Ref, forgeEvent.CommitSha,
            DateTimeOffset.UtcNow, eventName);
}
