namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// One webhook delivery and what became of it (<c>Webhooks/DeliveryOutcomes</c>). An accepted delivery is processed in
/// the background under a lease on this row; a refused one (bad signature) is kept without its payload, repeats of it
/// counted on one row.
/// </summary>
public sealed class WebhookDeliveryEntity
{
    public long Id { get; set; }
    public int ProjectId { get; set; }

    /// <summary>The forge's delivery id as sent (a refused delivery's is unverified); null when it sent none.</summary>
    public string? DeliveryId { get; set; }

    /// <summary>
    /// The delivery id of an accepted delivery from the forge, unique per project: a redelivery by the forge is a duplicate.
    /// Null for refused deliveries (anyone can send any id) and for redeliveries asked for in Pipeliner.
    /// </summary>
    public string? UniqueDeliveryId { get; set; }

    public required string Forge { get; set; }

    /// <summary>The event as the forge names it in its headers: push, pull_request, Merge Request Hook, repo:push, …</summary>
    public required string Event { get; set; }

    public string? Ref { get; set; }
    public string? Commit { get; set; }

    /// <summary>One of <c>Webhooks/DeliveryOutcomes</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary>Why: the planner's reason, the error, the event that is ignored.</summary>
    public string? Message { get; set; }

    /// <summary>The normalized event as JSON, what becomes a run; null when the delivery was refused or ignored.</summary>
    public string? EventJson { get; set; }

    public long? RunId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Refused deliveries in a row with the same outcome and message, counted on this one row.</summary>
    public int Count { get; set; } = 1;

    /// <summary>The delivery this one sends again (<c>POST …/deliveries/{id}/redeliver</c>).</summary>
    public long? RedeliveryOf { get; set; }

    /// <summary>Processing attempts started so far.</summary>
    public int Attempts { get; set; }

    /// <summary>When a delivery that is retrying is due again.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The worker processing it now (a fresh id per claim); null while it waits.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when the worker (or, without one, the queued background job) has it; after that anyone may take it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }
}
