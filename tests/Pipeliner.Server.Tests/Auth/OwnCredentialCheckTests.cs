using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Agent.Contracts;
using Pipeliner.Server.Tests.Agents;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// The user schemes (bearer token, session cookie) run for the server's own API, and not for the endpoints that check
/// their caller's credential themselves: the agent protocol and webhooks, whose answers stay what they were.
/// </summary>
public sealed class OwnCredentialCheckTests(OwnCredentialCheckTests.CountingApp app) : IClassFixture<OwnCredentialCheckTests.CountingApp>
{
    /// <summary>The server, with every authentication through its <see cref="IAuthenticationService"/> counted.</summary>
    public sealed class CountingApp() : PipelinerApp(agentCapacity: 0)
    {
        public AuthenticationCount Count { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.AddScoped<AuthenticationService>();
                services.AddScoped<IAuthenticationService>(provider => new CountingAuthentication(provider.GetRequiredService<AuthenticationService>(), Count));
            });
        }
    }

    public sealed class AuthenticationCount
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Add() => Interlocked.Increment(ref _calls);

        public void Reset() => Volatile.Write(ref _calls, 0);
    }

    [Fact]
    public async Task UserSchemes_RunOnlyForTheServersOwnApi_NotForAgentCallsOrWebhooks()
    {
        using var admin = app.Client();
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, "agent-" + Guid.NewGuid().ToString("N")[..8], "linux");
        app.Count.Reset();

        using var next = await agent.SendAsync(HttpMethod.Post, $"{AgentRoutes.Next}?wait=0");
        using var userTokenOnAgentRoute = await agent.SendAsync(HttpMethod.Post, $"{AgentRoutes.Next}?wait=0", token: PipelinerApp.AdminToken);
        using var source = await app.Client(token: null).GetAsync(AgentRoutes.Source(987654321));
        using var webhook = await app.Client(token: null).PostAsync("/hooks/no-such-project", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var withoutUserSchemes = app.Count.Calls;
        using var agents = await admin.GetAsync("/api/agents");
        using var agentCredentialOnUserRoute = await agent.SendAsync(HttpMethod.Get, "/api/agents");

        Assert.Equal(0, withoutUserSchemes);
        Assert.True(app.Count.Calls >= 2, $"the server's own API authenticates ({app.Count.Calls})");
        Assert.Equal(HttpStatusCode.NoContent, next.StatusCode);
        await Api.ProblemAsync(userTokenOnAgentRoute, HttpStatusCode.Unauthorized);
        await Api.ProblemAsync(source, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.BadRequest, webhook.StatusCode);
        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, agentCredentialOnUserRoute.StatusCode);
    }

    private sealed class CountingAuthentication(IAuthenticationService inner, AuthenticationCount count) : IAuthenticationService
    {
        public Task<AuthenticateResult> AuthenticateAsync(HttpContext context, string? scheme)
        {
            count.Add();
            return inner.AuthenticateAsync(context, scheme);
        }

        public Task ChallengeAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) => inner.ChallengeAsync(context, scheme, properties);

        public Task ForbidAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) => inner.ForbidAsync(context, scheme, properties);

        public Task SignInAsync(HttpContext context, string? scheme, ClaimsPrincipal principal, AuthenticationProperties? properties) =>
            inner.SignInAsync(context, scheme, principal, properties);

        public Task SignOutAsync(HttpContext context, string? scheme, AuthenticationProperties? properties) => inner.SignOutAsync(context, scheme, properties);
    }
}
