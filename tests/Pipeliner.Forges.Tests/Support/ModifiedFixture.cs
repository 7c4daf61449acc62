using System.Text;
using System.Text.Json.Nodes;

namespace Pipeliner.Forges.Tests.Support;

/// <summary>Parses a fixture after changing its JSON, for the cases the real payloads do not cover.</summary>
internal static class ModifiedFixture
{
    public static WebhookParseResult Parse(Forge forge, string eventName, string file, Action<JsonObject> modify) =>
        Parse(forge, TestHeaders.For(forge, eventName, "delivery-1"), file, modify);

    public static WebhookParseResult Parse(Forge forge, Func<string, string?> headers, string file, Action<JsonObject> modify)
    {
        var payload = JsonNode.Parse(WebhookFixtures.Read(file))!.AsObject();
        modify(payload);
        return WebhookParser.Parse(forge, headers, Encoding.UTF8.GetBytes(payload.ToJsonString()));
    }

    public static ForgeEvent EventOf(WebhookParseResult result) => Assert.IsType<WebhookParseResult.Event>(result).ForgeEvent;

    public static string IgnoredReasonOf(WebhookParseResult result) => Assert.IsType<WebhookParseResult.Ignored>(result).Reason;
}
