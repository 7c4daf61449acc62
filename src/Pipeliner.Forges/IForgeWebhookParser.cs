using Pipeliner.Forges.Json;

namespace Pipeliner.Forges;

/// <summary>Reads one forge's webhook payloads. Implementations hold no state.</summary>
internal interface IForgeWebhookParser
{
    /// <summary>The headers that name the event, in order of preference; the first is the one reported when all are missing.</summary>
    IReadOnlyList<string> EventHeaders { get; }

    /// <summary>The headers that carry the delivery id, in order of preference.</summary>
    IReadOnlyList<string> DeliveryHeaders { get; }

    /// <returns>Null when the event may start a run, otherwise why it never does. Decided before the body is read.</returns>
    string? WhyIgnored(string eventName);

    /// <summary>Reads a handled event's payload.</summary>
    /// <exception cref="InvalidPayloadException">A field the event needs is missing or malformed.</exception>
    WebhookParseResult Parse(string eventName, JsonPayload payload, string deliveryId);
}
