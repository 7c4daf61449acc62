using System.Security.Cryptography;

namespace Pipeliner.Forges.Events;

internal static class DeliveryIds
{
    public const string BodyHashPrefix = "sha256:";

    /// <summary>An id for a delivery that came without one: a redelivery of the same body gets the same id.</summary>
    public static string FromBody(ReadOnlySpan<byte> body) =>
        BodyHashPrefix + Convert.ToHexStringLower(SHA256.HashData(body));
}
