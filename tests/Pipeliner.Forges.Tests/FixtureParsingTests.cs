using Pipeliner.Forges.Tests.Support;

namespace Pipeliner.Forges.Tests;

public class FixtureParsingTests
{
    [Fact]
    public void FixtureTable_CoversEveryFixtureFile_WhenTheSharedDirectoryIsRead()
    {
        Assert.Equal(FixtureCases.ByFile.Keys.Order(StringComparer.Ordinal), WebhookFixtures.All());
    }

    [Theory]
    [MemberData(nameof(FixtureCases.Files), MemberType = typeof(FixtureCases))]
    public void Parse_GivesTheExactNormalizedEvent_ForEachFixture(string file)
    {
        var fixture = FixtureCases.ByFile[file];
        var headers = TestHeaders.For(fixture.Forge, fixture.EventName, fixture.DeliveryId);

        var result = WebhookParser.Parse(fixture.Forge, headers, WebhookFixtures.Read(file));

        if (fixture.Expected is null)
        {
            Assert.Equal(fixture.IgnoredReason, Assert.IsType<WebhookParseResult.Ignored>(result).Reason);
            return;
        }

        var actual = Assert.IsType<WebhookParseResult.Event>(result).ForgeEvent;
        Assert.Equal(fixture.Expected with { ChangedPaths = null }, actual with { ChangedPaths = null });
        Assert.Equal(fixture.Expected.ChangedPaths, actual.ChangedPaths);
    }

    [Theory]
    [MemberData(nameof(FixtureCases.Files), MemberType = typeof(FixtureCases))]
    public void Parse_GivesTheSameEventFromPartOfABuffer_WhenTheBufferIsOverwrittenAfterwards(string file)
    {
        var fixture = FixtureCases.ByFile[file];
        var headers = TestHeaders.For(fixture.Forge, fixture.EventName, deliveryId: null); // the id from the body's bytes too
        var body = WebhookFixtures.Read(file);
        var buffer = new byte[body.Length + 100];
        body.CopyTo(buffer, 0);
        buffer.AsSpan(body.Length).Fill((byte)'x'); // what a pooled buffer holds past the body

        var fromBuffer = WebhookParser.Parse(fixture.Forge, headers, buffer.AsMemory(0, body.Length));
        buffer.AsSpan().Fill(0); // given back and reused: nothing parsed may refer to it

        var fromArray = WebhookParser.Parse(fixture.Forge, headers, body);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize<object>(fromArray), System.Text.Json.JsonSerializer.Serialize<object>(fromBuffer));
        Assert.IsNotType<WebhookParseResult.Invalid>(fromBuffer);
    }

    [Theory]
    [MemberData(nameof(FixtureCases.Files), MemberType = typeof(FixtureCases))]
    public void Detect_FindsTheFixturesForge_FromTheHeadersItIsDeliveredWith(string file)
    {
        var fixture = FixtureCases.ByFile[file];

        Assert.Equal(fixture.Forge, ForgeDetector.Detect(TestHeaders.For(fixture.Forge, fixture.EventName, fixture.DeliveryId)));
    }

    [Theory]
    [MemberData(nameof(FixtureCases.Files), MemberType = typeof(FixtureCases))]
    public void Parse_DerivesTheDeliveryIdFromTheBody_WhenNoDeliveryHeaderIsSent(string file)
    {
        var fixture = FixtureCases.ByFile[file];
        if (fixture.Expected is null) return;
        var body = WebhookFixtures.Read(file);
        var headers = TestHeaders.For(fixture.Forge, fixture.EventName, deliveryId: null);

        var first = Assert.IsType<WebhookParseResult.Event>(WebhookParser.Parse(fixture.Forge, headers, body)).ForgeEvent;
        var redelivered = Assert.IsType<WebhookParseResult.Event>(WebhookParser.Parse(fixture.Forge, headers, body.ToArray())).ForgeEvent;

        var expectedId = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        Assert.Equal(expectedId, first.DeliveryId);
        Assert.Equal(first.DeliveryId, redelivered.DeliveryId);
    }
}
