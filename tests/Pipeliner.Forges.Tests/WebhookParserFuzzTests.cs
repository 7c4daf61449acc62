using System.Text;
using System.Text.Json.Nodes;
using Pipeliner.Forges.Tests.Support;

namespace Pipeliner.Forges.Tests;

/// <summary>No input makes the parser throw; each gives a well-formed Event, Ignored or Invalid.</summary>
public class WebhookParserFuzzTests
{
    private static readonly (Forge Forge, string EventName)[] HandledEvents =
    [
        (Forge.GitHub, "push"), (Forge.GitHub, "pull_request"), (Forge.GitHub, "ping"),
        (Forge.GitLab, "Push Hook"), (Forge.GitLab, "Tag Push Hook"), (Forge.GitLab, "Merge Request Hook"),
        (Forge.Gitea, "push"), (Forge.Gitea, "pull_request"),
        (Forge.Bitbucket, "repo:push"), (Forge.Bitbucket, "pullrequest:created"), (Forge.Bitbucket, "pullrequest:updated"),
    ];

    // Factories, because a JSON node can have only one parent.
    private static readonly Func<JsonNode?>[] WrongValues =
    [
        () => null,
        () => 5,
        () => -1,
        () => 2.5,
        () => 1e300,
        () => "x",
        () => "",
        () => "0000000000000000000000000000000000000000",
        () => true,
        () => new JsonArray(),
        () => new JsonObject(),
        () => new JsonArray(JsonValue.Create("refs/heads/main"), null),
        () => new JsonObject { ["id"] = new JsonObject(), ["hash"] = 7 },
    ];

    public static TheoryData<string> HandledFixtures =>
        new(FixtureCases.ByFile.Values.Where(c => c.Expected is not null).Select(c => c.File));

    [Fact]
    public void Parse_NeverThrows_WhenTheBodyIsRandomBytes()
    {
        var random = new Random(20240611);
        foreach (var (forge, eventName) in HandledEvents)
        {
            var headers = TestHeaders.For(forge, eventName, "d");
            for (var i = 0; i < 300; i++)
            {
                var body = new byte[random.Next(0, 600)];
                random.NextBytes(body);

                ResultInvariants.AssertWellFormed(WebhookParser.Parse(forge, headers, body));
            }
        }
    }

    [Fact]
    public void Parse_NeverThrows_WhenTheBodyIsJsonLikeTokenSoup()
    {
        string[] tokens =
        [
            "{", "}", "[", "]", ",", ":", "\"ref\"", "\"after\"", "\"refs/heads/main\"", "\"pull_request\"", "\"action\"",
            "\"opened\"", "\"push\"", "\"changes\"", "\"new\"", "null", "true", "0", "-1", "1e999", "\"\\ud800\"", "\"\\u0000\"", " ",
        ];
        var random = new Random(7);
        foreach (var (forge, eventName) in HandledEvents)
        {
            var headers = TestHeaders.For(forge, eventName, "d");
            for (var i = 0; i < 300; i++)
            {
                var body = new StringBuilder();
                for (var t = random.Next(1, 80); t > 0; t--) body.Append(tokens[random.Next(tokens.Length)]);

                ResultInvariants.AssertWellFormed(WebhookParser.Parse(forge, headers, Encoding.UTF8.GetBytes(body.ToString())));
            }
        }
    }

    [Theory]
    [MemberData(nameof(HandledFixtures))]
    public void Parse_ReturnsInvalid_WhenTheFixtureIsTruncated(string file)
    {
        var fixture = FixtureCases.ByFile[file];
        var body = WebhookFixtures.Read(file);
        var headers = TestHeaders.For(fixture.Forge, fixture.EventName, "d");
        var complete = Encoding.UTF8.GetString(body).TrimEnd().Length;

        for (var length = 0; length < complete; length += Math.Max(1, complete / 400))
        {
            var result = WebhookParser.Parse(fixture.Forge, headers, body.AsSpan(0, length));

            Assert.IsType<WebhookParseResult.Invalid>(result);
        }
    }

    [Theory]
    [MemberData(nameof(HandledFixtures))]
    public void Parse_NeverThrows_WhenAnyFieldOfTheFixtureIsRemovedOrHasTheWrongShape(string file)
    {
        var fixture = FixtureCases.ByFile[file];
        var headers = TestHeaders.For(fixture.Forge, fixture.EventName, "d");
        var payload = JsonNode.Parse(WebhookFixtures.Read(file))!;
        var paths = PathsIn(payload, []).ToList();
        var invalid = 0;

        for (var i = 0; i < paths.Count; i++)
        {
            foreach (var mutation in new Func<JsonNode?>?[] { null, WrongValues[i % WrongValues.Length], WrongValues[(i + 5) % WrongValues.Length] })
            {
                var body = WithMutation(payload, paths[i], mutation);
                var result = WebhookParser.Parse(fixture.Forge, headers, body);

                ResultInvariants.AssertWellFormed(result);
                if (result is WebhookParseResult.Invalid) invalid++;
            }
        }

        // The mutations reach the fields the parser requires, not only ones it never reads (a ping requires none).
        if (fixture.Expected!.Kind != ForgeEventKind.Ping) Assert.True(invalid > 0, $"no mutation of {file} made it invalid");
    }

    [Fact]
    public void Parse_NeverThrows_WhenAFixtureIsReadAsAnyOtherEvent()
    {
        foreach (var file in FixtureCases.ByFile.Keys)
        {
            var body = WebhookFixtures.Read(file);
            foreach (var (forge, eventName) in HandledEvents)
            {
                ResultInvariants.AssertWellFormed(WebhookParser.Parse(forge, TestHeaders.For(forge, eventName, "d"), body));
                ResultInvariants.AssertWellFormed(WebhookParser.Parse(forge, TestHeaders.For(forge, eventName), body));
            }
        }
    }

    public static TheoryData<string> WrongShapes => new()
    {
        "[]", "\"x\"", "5", "null", "true", "{}", """{"ref": 5}""", """{"ref": "refs/heads/main", "after": []}""",
        """{"action": "opened", "pull_request": []}""", """{"action": "opened", "number": -5, "pull_request": {"number": null}}""",
        """{"object_attributes": {"action": "update", "oldrev": 5}}""", """{"push": {"changes": [{"new": [], "old": {}}]}}""",
        """{"pullrequest": {"id": 1, "source": {"branch": {"name": {}}}}}""", new string('[', 5000) + new string(']', 5000),
        "{\"a\":" + string.Concat(Enumerable.Repeat("[{\"b\":", 40)) + "1" + string.Concat(Enumerable.Repeat("}]", 40)) + "}",
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public void Parse_NeverThrows_WhenTheJsonHasTheWrongShape(string body)
    {
        foreach (var (forge, eventName) in HandledEvents)
        {
            ResultInvariants.AssertWellFormed(WebhookParser.Parse(forge, TestHeaders.For(forge, eventName, "d"), Encoding.UTF8.GetBytes(body)));
        }
    }

    private readonly record struct Step(string? Property, int Index);

    private static IEnumerable<Step[]> PathsIn(JsonNode? node, Step[] prefix)
    {
        var children = node switch
        {
            JsonObject obj => obj.Select(property => (new Step(property.Key, -1), property.Value)).ToList(),
            JsonArray array => array.Select((item, index) => (new Step(null, index), item)).ToList(),
            _ => [],
        };
        foreach (var (step, child) in children)
        {
            Step[] path = [.. prefix, step];
            yield return path;
            foreach (var descendant in PathsIn(child, path)) yield return descendant;
        }
    }

    /// <summary>The payload's bytes with one field changed; the payload itself is left as it was.</summary>
    /// <param name="replacement">The new value; null removes the field or array element.</param>
    private static byte[] WithMutation(JsonNode payload, Step[] path, Func<JsonNode?>? replacement)
    {
        var parent = payload;
        foreach (var step in path[..^1]) parent = step.Property is { } name ? parent[name]! : parent[step.Index]!;

        // Changed in place and put back (at the same position), which is much cheaper than cloning the payload.
        var last = path[^1];
        if (parent is JsonObject obj)
        {
            var index = obj.IndexOf(last.Property!);
            var original = obj[last.Property!];
            obj.RemoveAt(index);
            if (replacement is not null) obj.Insert(index, last.Property!, replacement());
            var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
            obj.Remove(last.Property!);
            obj.Insert(index, last.Property!, original);
            return body;
        }
        else
        {
            var array = parent.AsArray();
            var original = array[last.Index];
            array.RemoveAt(last.Index);
            if (replacement is not null) array.Insert(last.Index, replacement());
            var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
            if (replacement is not null) array.RemoveAt(last.Index);
            array.Insert(last.Index, original);
            return body;
        }
    }
}
