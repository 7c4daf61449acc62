namespace Pipeliner.Forges.Tests.Support;

/// <summary>A fixture file, the event header it is delivered with, and what parsing it must give.</summary>
/// <param name="Expected">The event (its DeliveryId is <see cref="DeliveryId"/>), or null when the delivery is ignored.</param>
internal sealed record FixtureCase(string File, Forge Forge, string EventName, ForgeEvent? Expected, string? IgnoredReason = null)
{
    public string DeliveryId => "delivery-" + File.Replace('/', '-');
}
