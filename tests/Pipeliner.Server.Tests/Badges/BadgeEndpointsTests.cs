using System.Net;
using System.Net.Http.Headers;
using System.Xml.Linq;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Badges;

/// <summary><c>GET /badge/{project}.svg</c> after real runs: passing, failing, unknown, and its cache headers.</summary>
public class BadgeEndpointsTests(AppWithAgent app) : IClassFixture<AppWithAgent>
{
    private const string Failing = """
        stages: [build]
        defaults: { image: alpine:3 }
        jobs:
          build:
            stage: build
            script: ["exit 1"]

        """;

    private async Task<string> ProjectWithFinishedRunAsync(HttpClient client, string pipeline, string expectedStatus)
    {
        var project = await client.CreateProjectAsync(app, app.NewRepository(pipeline));
        var id = await client.TriggerAsync(project);
        Assert.Equal(expectedStatus, (await client.WaitForFinishAsync(id)).Status);
        return project;
    }

    private static async Task<(HttpResponseMessage Response, XElement Svg)> BadgeAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var svg = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        return (response, svg);
    }

    private static IEnumerable<string> Texts(XElement svg) => svg.Descendants(XName.Get("text", "http://www.w3.org/2000/svg")).Select(t => t.Value);

    private static string MessageColour(XElement svg) =>
        svg.Descendants(XName.Get("rect", "http://www.w3.org/2000/svg")).ElementAt(2).Attribute("fill")!.Value;

    [Fact]
    public async Task Badge_SaysPassingInGreenWithoutAToken_WhenTheDefaultBranchsLatestRunSucceeded()
    {
        using var admin = app.Client();
        var project = await ProjectWithFinishedRunAsync(admin, Pipelines.OneJob, "succeeded");
        using var anonymous = app.Client(token: null);

        var (response, svg) = await BadgeAsync(anonymous, $"/badge/{project}.svg");

        using var _ = response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["pipeliner", "pipeliner", "passing", "passing"], Texts(svg));
        Assert.Equal("#4c1", MessageColour(svg));
        Assert.Equal("pipeliner: passing", svg.Attribute("aria-label")!.Value);
        Assert.True(response.Headers.CacheControl is { NoCache: true, MaxAge.TotalSeconds: 0 }, $"Cache-Control: {response.Headers.CacheControl}");
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Badge_SaysFailingInRed_WhenTheLatestRunFailed()
    {
        using var client = app.Client();
        var project = await ProjectWithFinishedRunAsync(client, Failing, "failed");

        var (response, svg) = await BadgeAsync(client, $"/badge/{project}.svg?branch=main");

        using var _ = response;
        Assert.Equal(["pipeliner", "pipeliner", "failing", "failing"], Texts(svg));
        Assert.Equal("#e05d44", MessageColour(svg));
    }

    [Fact]
    public async Task Badge_Answers304_WhenTheETagStillMatches_And200WhenTheRunChanged()
    {
        using var client = app.Client();
        var project = await ProjectWithFinishedRunAsync(client, Pipelines.OneJob, "succeeded");
        var (first, _) = await BadgeAsync(client, $"/badge/{project}.svg");
        var etag = first.Headers.ETag!;
        first.Dispose();

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/badge/{project}.svg");
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal("no-cache, max-age=0", notModified.Headers.CacheControl?.ToString());
        var failing = await ProjectWithFinishedRunAsync(client, Failing, "failed");
        using var other = new HttpRequestMessage(HttpMethod.Get, $"/badge/{failing}.svg");
        other.Headers.IfNoneMatch.Add(etag);
        using var changed = await client.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
    }

    [Fact]
    public async Task Badge_SaysUnknown_WhenTheBranchHasNoRuns()
    {
        using var client = app.Client();
        var project = await ProjectWithFinishedRunAsync(client, Pipelines.OneJob, "succeeded");

        var (response, svg) = await BadgeAsync(client, $"/badge/{project}.svg?branch=feature/other");

        using var _ = response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("unknown", Texts(svg));
    }

    [Fact]
    public async Task Badge_Answers404WithANotFoundBadge_WhenTheProjectIsUnknown()
    {
        using var anonymous = app.Client(token: null);

        var (response, svg) = await BadgeAsync(anonymous, "/badge/no-such-project.svg");

        using var _ = response;
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not found", Texts(svg));
    }

    [Fact]
    public async Task Badge_Answers400Problem_WhenTheBranchIsNotAValidName()
    {
        using var client = app.Client();
        var project = await client.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));

        using var response = await client.GetAsync($"/badge/{project}.svg?branch=bad..name");

        await Api.ProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
