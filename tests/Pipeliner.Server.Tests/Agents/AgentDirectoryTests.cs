using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Agents;

/// <summary>
/// An agent's credential checked on every call of the protocol, with a clock of the test's: the agent's last-seen time is
/// written when it has grown older than <see cref="AgentDirectory.SeenInterval"/>, not at every call.
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
}

public sealed class AgentDirectoryTests(AppWithoutAgent app) : AgentDirectoryTests<AppWithoutAgent>(app);

[Trait("Database", "postgres")]
public sealed class AgentDirectoryOnPostgresTests(AppWithoutAgentOnPostgres app) : AgentDirectoryTests<AppWithoutAgentOnPostgres>(app);
