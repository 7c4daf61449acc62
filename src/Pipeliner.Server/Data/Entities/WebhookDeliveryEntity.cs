namespace Pipeliner.Server.Data.Entities;

/// <summary>One accepted webhook delivery; its id makes redeliveries harmless.</summary>
public sealed class WebhookDeliveryEntity
{
    public long Id { get; set; }
    public int ProjectId { get; set; }
    public required string DeliveryId { get; set; }
    public required string Forge { get; set; }
    public required string Kind { get; set; }

    /// <summary>received, run_created, ignored, no_pipeline, failed.</summary>
    public required string Outcome { get; set; }

    public string? Message { get; set; }

    /// <summary>The normalized event as JSON: what the background job turns into a run.</summary>
    public required string EventJson { get; set; }

    public long? RunId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}
