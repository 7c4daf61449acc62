using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Agent.Contracts;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// An agent's credential checked on every call of the protocol, with a clock of the test's: the agent's last-seen time is
/// written when it has grown older than <see cref="AgentDirectory.SeenInterval"/>, not at every call, and a verified
/// credential is looked up again no later than that: at once when it stops working through this replica.
/// </summary>
public abstract class AgentDirectoryTests<TApp>(TApp app) : IClassFixture<TApp> where TApp : PipelinerApp
{
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private async Task<DateTimeOffset?> LastSeenAsync(string name)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.Agents.AsNoTracking().Where(a => a.Name == name).Select(a => a.LastSeenAt).FirstAsync();
    }

    [Fact]
    public async Task AuthenticateAsync_WritesLastSeen_OnlyWhenOlderThanTheSeenInterval()
    {
        using var admin = app.Client();
        var name = "seen-" + Guid.NewGuid().ToString("N")[..8];
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, name, "linux");
        var registered = (await LastSeenAsync(name))!.Value;
        var clock = new Clock(registered);
        var directory = new AgentDirectory(app.Services.GetRequiredService<IServiceScopeFactory>(),
            app.Services.GetRequiredService<IOptions<PipelinerOptions>>(), clock, NullLogger<AgentDirectory>.Instance);
        var interval = directory.SeenInterval;
        Assert.InRange(interval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));

        clock.Now = registered + interval / 2;
        var within = await directory.AuthenticateAsync(agent.Credential, CancellationToken.None);
        Assert.Equal(name, within?.Name);
        Assert.Equal(registered, await LastSeenAsync(name));

        clock.Now = registered + interval;
        var after = await directory.AuthenticateAsync(agent.Credential, CancellationToken.None);
        Assert.Equal(clock.Now, after?.LastSeenAt);
        Assert.Equal(clock.Now, await LastSeenAsync(name));

        Assert.Null(await directory.AuthenticateAsync(AgentCredentials.New(AgentCredentials.AgentPrefix), CancellationToken.None));
        Assert.Null(await directory.AuthenticateAsync(PipelinerApp.AdminToken, CancellationToken.None));
    }

    [Fact]
    public async Task EnsureEmbeddedAsync_RecordsTheAgentOnceAndLogsNoError_WhenAllWorkersAskAtTheStart()
    {
        var name = "embedded-" + Guid.NewGuid().ToString("N")[..8];
        var directory = new AgentDirectory(app.Services.GetRequiredService<IServiceScopeFactory>(),
            app.Services.GetRequiredService<IOptions<PipelinerOptions>>(), TimeProvider.System, NullLogger<AgentDirectory>.Instance);
        var agent = new AgentInfo(name, ["linux"], 4);
        var errorsBefore = app.Errors.All.Count(e => e.Contains("Agents", StringComparison.Ordinal));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => directory.EnsureEmbeddedAsync(agent, CancellationToken.None))));

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        Assert.Equal(1, await db.Agents.CountAsync(a => a.Name == name && a.Embedded));
        Assert.Equal(errorsBefore, app.Errors.All.Count(e => e.Contains("Agents", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AuthenticateAsync_RefusesACredentialRemovedElsewhere_OnceTheSeenIntervalHasPassed()
    {
        using var admin = app.Client();
        var name = "elsewhere-" + Guid.NewGuid().ToString("N")[..8];
        var agent = await HttpAgent.RegisterAsync(app.Client(token: null), admin, name, "linux");
        var clock = new Clock((await LastSeenAsync(name))!.Value);
        var directory = new AgentDirectory(app.Services.GetRequiredService<IServiceScopeFactory>(),
            app.Services.GetRequiredService<IOptions<PipelinerOptions>>(), clock, NullLogger<AgentDirectory>.Instance);
        var interval = directory.SeenInterval;
        Assert.Equal(name, (await directory.AuthenticateAsync(agent.Credential, CancellationToken.None))?.Name);

        // Another replica deletes the agent: this one's verified credential is not told.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            Assert.Equal(1, await db.Agents.Where(a => a.Name == name).ExecuteDeleteAsync());
        }

        // Within the interval it is answered from what was verified (no query); once the interval has passed, refused.
        clock.Now += interval / 2;
        Assert.Equal(name, (await directory.AuthenticateAsync(agent.Credential, CancellationToken.None))?.Name);
        clock.Now += interval / 2;
        Assert.Null(await directory.AuthenticateAsync(agent.Credential, CancellationToken.None));
        clock.Now += interval / 4;
        Assert.Null(await directory.AuthenticateAsync(agent.Credential, CancellationToken.None));
    }

    [Fact]
    public async Task AuthenticateAsync_RefusesTheOldCredential_AtOnceWhenTheAgentIsDeletedOrRegistersAgain()
    {
        using var admin = app.Client();
        var name = "again-" + Guid.NewGuid().ToString("N")[..8];
        var first = await HttpAgent.RegisterAsync(app.Client(token: null), admin, name, "linux");
        var directory = app.Services.GetRequiredService<AgentDirectory>();
        Assert.Equal(name, (await directory.AuthenticateAsync(first.Credential, CancellationToken.None))?.Name);

        // Registered again (a new credential): the old one stops working at once, although it was verified a moment ago.
        var second = await HttpAgent.RegisterAsync(app.Client(token: null), admin, name, "linux");
        Assert.Null(await directory.AuthenticateAsync(first.Credential, CancellationToken.None));
        using var refused = await first.SendAsync(HttpMethod.Post, AgentRoutes.Next + "?wait=0");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(name, (await directory.AuthenticateAsync(second.Credential, CancellationToken.None))?.Name);

        // Deleted: the credential verified just now stops working at once.
        using var deleted = await admin.DeleteAsync($"/api/agents/{name}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Null(await directory.AuthenticateAsync(second.Credential, CancellationToken.None));
        using var gone = await second.SendAsync(HttpMethod.Post, AgentRoutes.Next + "?wait=0");
        Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
    }
}

public sealed class AgentDirectoryTests(AppWithoutAgent app) : AgentDirectoryTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class AgentDirectoryOnPostgresTests(AppWithoutAgentOnPostgres app) : AgentDirectoryTests<AppWithoutAgentOnPostgres>(app);
