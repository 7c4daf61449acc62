using System.Net;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// The server is built on the slim builder (HostingDefaults): what it took from CreateBuilder's defaults still works —
/// any host by default, <c>AllowedHosts</c> when it names hosts, every route constraint the API uses.
/// </summary>
public class HostingDefaultsTests(AppWithoutAgent app) : IClassFixture<AppWithoutAgent>
{
    [Fact]
    public async Task Request_IsServed_WhateverItsHost_ByDefault()
    {
        using var client = app.Client(token: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = "ci.example.org";

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task RouteWithAConstraint_IsMatched_OnTheSlimBuilder()
    {
        using var client = app.Client();

        using var found = await client.GetAsync("/api/runs/999999");
        using var notANumber = await client.GetAsync("/api/runs/not-a-number");

        Assert.Equal(HttpStatusCode.NotFound, found.StatusCode);
        Assert.NotEqual(HttpStatusCode.InternalServerError, notANumber.StatusCode);
    }
}

/// <summary>A server whose <c>AllowedHosts</c> names its host.</summary>
public sealed class AppWithAllowedHosts() : PipelinerApp(agentCapacity: 0,
    new Dictionary<string, string> { ["AllowedHosts"] = "ci.example.com;localhost" });

public class AllowedHostsTests(AppWithAllowedHosts app) : IClassFixture<AppWithAllowedHosts>
{
    [Fact]
    public async Task Request_IsRefused_WhenAllowedHostsDoesNotNameItsHost()
    {
        using var client = app.Client(token: null);
        using var other = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        other.Headers.Host = "attacker.example.net";
        using var named = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        named.Headers.Host = "ci.example.com";

        using var refused = await client.SendAsync(other);
        using var served = await client.SendAsync(named);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
