using System.Net;
using Pipeliner.Web.Tests.Support;

namespace Pipeliner.Web.Tests.Endpoints;

/// <summary>The dashboard at /, its addresses falling back to index.html, and the server's own paths never doing so.</summary>
public sealed class DashboardFilesTests(DashboardApp app) : IClassFixture<DashboardApp>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/projects/web")]
    [InlineData("/runs/12/jobs/test%20(alpine%2C%201)")]
    [InlineData("/runs/12/jobs/build.linux")]
    [InlineData("/sign-in?next=/runs/3")]
    public async Task Dashboard_addresses_answer_with_the_app(string path)
    {
        var response = await app.Client(token: null).GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<div id=\"root\"></div>", html, StringComparison.Ordinal);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
    }

    [Theory]
    [InlineData("/api/nothing-here")]
    [InlineData("/api/runs/999999")]
    [InlineData("/hooks")]
    [InlineData("/healthz/more")]
    [InlineData("/metrics/x")]
    [InlineData("/openapi/nothing.json")]
    public async Task Server_paths_never_fall_back_to_the_app(string path)
    {
        var response = await app.Client().GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_webhook_path_still_refuses_other_methods()
    {
        var response = await app.Client(token: null).GetAsync("/hooks/some-project");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Assets_are_served_cached_for_a_year_and_precompressed()
    {
        var html = await app.Client(token: null).GetStringAsync("/");
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);

        var client = app.Client(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, script);
        request.Headers.AcceptEncoding.ParseAdd("gzip, br");
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("br", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

        var plain = await client.GetAsync(script);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.True((await plain.Content.ReadAsByteArrayAsync()).Length > (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_missing_asset_is_a_404_not_the_app()
    {
        var response = await app.Client(token: null).GetAsync("/assets/index-missing.js");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
