using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Tests.Support;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Tests.Http;

/// <summary>The endpoints around the API: health, the OpenAPI document and the Hangfire dashboard.</summary>
public class ServerEndpointsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Healthz_ReturnsOk_WithoutAToken()
    {
        using var client = app.Client(token: null);

        var health = await client.GetFromJsonAsync<JsonElement>("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenApi_DescribesEveryApiEndpoint_WhenRequested()
    {
        using var client = app.Client(token: null);

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var described = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } route && (route.StartsWith("/api", StringComparison.Ordinal)
                || route.StartsWith("/hooks", StringComparison.Ordinal) || route == "/healthz"))
            .SelectMany(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods
                .Select(method => $"{method} {OpenApiPath(e.RoutePattern.RawText!)}"))
            .ToHashSet();
        Assert.True(mapped.Count >= 15, $"expected every API endpoint, found {string.Join(", ", mapped)}");
        Assert.Empty(mapped.Except(described));
    }

    [Fact]
    public async Task OpenApi_DescribesProblemAnswers_WhenAnEndpointCanRefuse()
    {
        using var client = app.Client(token: null);

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var getRun = document.GetProperty("paths").GetProperty("/api/runs/{id}").GetProperty("get").GetProperty("responses");
        Assert.True(getRun.TryGetProperty("200", out _));
        Assert.True(getRun.TryGetProperty("404", out _));
        var trigger = document.GetProperty("paths").GetProperty("/api/projects/{project}/runs").GetProperty("post").GetProperty("responses");
        Assert.True(trigger.TryGetProperty("201", out _));
        Assert.True(trigger.TryGetProperty("422", out _));
    }

    [Fact]
    public async Task OpenApi_DeclaresBearerTokens_ForTheApiButNotForWebhooks()
    {
        using var client = app.Client(token: null);

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        var paths = document.GetProperty("paths");
        Assert.True(paths.GetProperty("/api/runs/{id}").GetProperty("get").TryGetProperty("security", out _));
        Assert.False(paths.GetProperty("/hooks/{project}").GetProperty("post").TryGetProperty("security", out _));
    }

    [Fact]
    public async Task Hangfire_Returns401_WhenNoTokenIsSent()
    {
        using var client = app.Client(token: null);

        using var response = await client.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Developer)]
    [InlineData(Role.ReleaseManager)]
    public async Task Hangfire_Returns403_WhenTheTokenIsNotAnAdmins(Role role)
    {
        using var client = app.Client(await app.CreateTokenAsync(role));

        using var response = await client.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Hangfire_ShowsTheDashboard_WhenTheTokenIsAnAdmins()
    {
        using var client = app.Client();

        using var response = await client.GetAsync("/hangfire/recurring");

        await Api.ExpectAsync(response, HttpStatusCode.OK);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains(DeliveryRetention.RecurringJobId, page, StringComparison.Ordinal);
        // Expired leases are swept by the housekeeping, not by a minutely job that woke the idle server.
        Assert.DoesNotContain(LeaseSweeper.FormerRecurringJobId, page, StringComparison.Ordinal);
    }

    /// <summary>Route templates as OpenAPI writes them: constraints such as <c>{id:long}</c> dropped, no trailing slash.</summary>
    private static string OpenApiPath(string route)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(route, @"\{([^}:]+):[^}]+\}", "{$1}").TrimEnd('/');
        return path.Length == 0 ? "/" : path;
    }
}
