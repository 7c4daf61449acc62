using System.Text;
using Pipeliner.Forges.Tests.Support;

namespace Pipeliner.Forges.Tests;

public class InvalidPayloadTests
{
    private const string Sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

    public static TheoryData<Forge, string, string, string> InvalidPayloads => new()
    {
        // Wrong shapes at the root
        { Forge.GitHub, "push", "[]", "push payload: expected a JSON object, got an array" },
        { Forge.GitHub, "push", "\"x\"", "push payload: expected a JSON object, got a string" },
        { Forge.GitHub, "push", "5", "push payload: expected a JSON object, got a number" },
        { Forge.GitHub, "push", "null", "push payload: expected a JSON object, got null" },
        { Forge.GitHub, "ping", "true", "ping payload: expected a JSON object, got a boolean" },
        { Forge.GitHub, "push", "", "push payload: empty body" },

        // GitHub push
        { Forge.GitHub, "push", "{}", "push payload: missing 'ref'" },
        { Forge.GitHub, "push", """{"ref": 5}""", "push payload: 'ref' is not a string" },
        { Forge.GitHub, "push", """{"ref": ""}""", "push payload: 'ref' is empty" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/main"}""", "push payload: missing 'after'" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/../../etc"}""", "push payload: 'ref' is not a valid git ref name" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/main\nx"}""", "push payload: 'ref' is not a valid git ref name" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/main", "after": null}""", "push payload: missing 'after'" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/main", "after": "HEAD; rm -rf /"}""", "push payload: 'after' is not a commit hash" },
        { Forge.GitHub, "push", """{"ref": "refs/heads/main", "after": {"id": 1}}""", "push payload: 'after' is not a string" },
        { Forge.GitHub, "push", """{"ref": "\ud800", "after": "x"}""", "push payload: 'ref' is not valid text" },

        // GitHub pull request
        { Forge.GitHub, "pull_request", "{}", "pull_request payload: missing 'action'" },
        { Forge.GitHub, "pull_request", """{"action": "opened"}""", "pull_request payload: missing 'pull_request'" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": 5}""", "pull_request payload: 'pull_request' is not an object" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": "2"}}""", "pull_request payload: 'pull_request.number' is not a number" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 2.5}}""", "pull_request payload: 'pull_request.number' is not a positive whole number" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 1e40}}""", "pull_request payload: 'pull_request.number' is not a positive whole number" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 0}}""", "pull_request payload: 'pull_request.number' is not a positive whole number" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 2, "base": {"ref": "main"}, "head": {"ref": "--upload-pack=x y", "sha": "6113728"}}}""", "pull_request payload: 'pull_request.head.ref' is not a valid git ref name" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 2}}""", "pull_request payload: missing 'pull_request.base'" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 2, "base": "main"}}""", "pull_request payload: 'pull_request.base' is not an object" },
        { Forge.GitHub, "pull_request", """{"action": "opened", "pull_request": {"number": 2, "base": {"ref": "main"}, "head": {"ref": "x"}}}""", "pull_request payload: missing 'pull_request.head.sha'" },

        // GitLab
        { Forge.GitLab, "Push Hook", """{"ref": "refs/heads/main"}""", "Push Hook payload: missing 'after'" },
        { Forge.GitLab, "Tag Push Hook", """{"ref": ["refs/tags/v1"]}""", "Tag Push Hook payload: 'ref' is not a string" },
        { Forge.GitLab, "Merge Request Hook", "{}", "Merge Request Hook payload: missing 'object_attributes'" },
        { Forge.GitLab, "Merge Request Hook", """{"object_attributes": {}}""", "Merge Request Hook payload: missing 'object_attributes.action'" },
        { Forge.GitLab, "Merge Request Hook", """{"object_attributes": {"action": "open"}}""", "Merge Request Hook payload: missing 'object_attributes.iid'" },
        { Forge.GitLab, "Merge Request Hook", """{"object_attributes": {"action": "open", "iid": 1, "target_branch": "main"}}""", "Merge Request Hook payload: missing 'object_attributes.last_commit'" },

        // Gitea
        { Forge.Gitea, "push", """{"ref": "refs/heads/main", "after": 5}""", "push payload: 'after' is not a string" },
        { Forge.Gitea, "pull_request", """{"action": "opened", "pull_request": {}}""", "pull_request payload: missing 'number'" },
        { Forge.Gitea, "pull_request", """{"action": "opened", "number": 1, "pull_request": {"number": "1"}}""", "pull_request payload: 'pull_request.number' is not a number" },
        { Forge.GitLab, "Merge Request Hook", """{"object_attributes": {"action": "open", "iid": 1, "target_branch": "main~1"}}""", "Merge Request Hook payload: 'object_attributes.target_branch' is not a valid git ref name" },

        // Bitbucket
        { Forge.Bitbucket, "repo:push", "{}", "repo:push payload: missing 'push'" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": {}}}""", "repo:push payload: 'push.changes' is not an array" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": []}}""", "repo:push payload: 'push.changes' is empty" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [5]}}""", "repo:push payload: 'push.changes[0]' is not an object" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [{}]}}""", "repo:push payload: missing 'push.changes[0].new'" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [{"new": null, "old": null}]}}""", "repo:push payload: 'push.changes[0]' has neither 'new' nor 'old'" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [{"new": "main", "old": null}]}}""", "repo:push payload: 'push.changes[0].new' is not an object" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [{"new": {"type": "branch", "name": "main", "target": {}}, "old": null}]}}""", "repo:push payload: missing 'push.changes[0].new.target.hash'" },
        { Forge.Bitbucket, "repo:push", """{"push": {"changes": [{"new": {"type": "branch", "name": "a b"}, "old": null}]}}""", "repo:push payload: 'push.changes[0].new.name' is not a valid git ref name" },
        { Forge.Bitbucket, "pullrequest:created", """{"pullrequest": {"id": -1}}""", "pullrequest:created payload: 'pullrequest.id' is not a positive whole number" },
        { Forge.Bitbucket, "pullrequest:created", """{"pullrequest": {"id": 1}}""", "pullrequest:created payload: missing 'pullrequest.source'" },
    };

    [Theory]
    [MemberData(nameof(InvalidPayloads))]
    public void Parse_ReturnsInvalidNamingTheField_WhenThePayloadLacksOrMistypesIt(Forge forge, string eventName, string body, string message)
    {
        var result = WebhookParser.Parse(forge, TestHeaders.For(forge, eventName, "d"), Encoding.UTF8.GetBytes(body));

        Assert.Equal(message, Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }

    public static TheoryData<string> MalformedJson => new()
    {
        "{",
        "{\"ref\": ",
        "{\"ref\": \"refs/heads/main\",}",
        "{'ref': 'x'}",
        "{} {}",
        "{} x",
        "{\"ref\": \"unterminated}",
        "{\"a\": tru}",
        "{\"a\": 01}",
        "// comment\n{}",
        "\u00ef\u00bb\u00bf",
        new string('[', 100_000),
        "{\"a\":" + new string('[', 65) + new string(']', 65) + "}",
        "{\"a\":" + new string('{', 1) + string.Concat(Enumerable.Repeat("\"b\":{", 70)) + new string('}', 71) + "}",
    };

    [Theory]
    [MemberData(nameof(MalformedJson))]
    public void Parse_ReturnsInvalidMalformedJson_WhenTheBodyIsNotOneJsonDocument(string body)
    {
        var result = WebhookParser.Parse(Forge.GitHub, TestHeaders.For(Forge.GitHub, "push", "d"), Encoding.UTF8.GetBytes(body));

        Assert.StartsWith("push payload: malformed JSON: ", Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }

    [Fact]
    public void Parse_ReturnsInvalidNamingTheField_WhenAStringIsNotUtf8()
    {
        byte[] body = [.. "{\"ref\": \"refs/heads/"u8, 0xC3, 0x28, .. "\", \"after\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\"}"u8];

        var result = WebhookParser.Parse(Forge.GitHub, TestHeaders.For(Forge.GitHub, "push", "d"), body);

        Assert.Equal("push payload: 'ref' is not valid text", Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }

    [Fact]
    public void Parse_AcceptsTheBody_WhenItStartsWithAUtf8ByteOrderMark()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes($$"""{"ref": "refs/heads/main", "after": "{{Sha}}"}""")];

        var result = WebhookParser.Parse(Forge.GitHub, TestHeaders.For(Forge.GitHub, "push", "d"), body);

        Assert.Equal(Sha, Assert.IsType<WebhookParseResult.Event>(result).ForgeEvent.CommitSha);
    }

    [Theory]
    [InlineData(Forge.GitHub, "X-GitHub-Event")]
    [InlineData(Forge.GitLab, "X-Gitlab-Event")]
    [InlineData(Forge.Gitea, "X-Gitea-Event")]
    [InlineData(Forge.Bitbucket, "X-Event-Key")]
    public void Parse_ReturnsInvalidNamingTheHeader_WhenTheEventHeaderIsMissing(Forge forge, string header)
    {
        var result = WebhookParser.Parse(forge, TestHeaders.Of(("Content-Type", "application/json")), "{}"u8);

        Assert.Equal($"missing header '{header}'", Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }

    [Fact]
    public void Parse_ReturnsInvalid_WhenTheForgeIsNotOneOfTheKnownValues()
    {
        var result = WebhookParser.Parse((Forge)42, TestHeaders.For(Forge.GitHub, "push"), "{}"u8);

        Assert.Equal("unknown forge 42", Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }

    [Fact]
    public void Parse_ReturnsInvalid_WhenAFormEncodedGitHubBodyArrives()
    {
        var body = "payload=" + Uri.EscapeDataString(Encoding.UTF8.GetString(WebhookFixtures.Read("github/ping.json")));

        var result = WebhookParser.Parse(Forge.GitHub, TestHeaders.For(Forge.GitHub, "ping", "d"), Encoding.UTF8.GetBytes(body));

        Assert.StartsWith("ping payload: malformed JSON: ", Assert.IsType<WebhookParseResult.Invalid>(result).Message);
    }
}
