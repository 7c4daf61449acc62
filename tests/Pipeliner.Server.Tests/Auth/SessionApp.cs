using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Auth;

/// <summary>
/// A server without agent whose clock the tests move (<see cref="Clock"/>), with a small sign-in slowdown: three
/// failures per name, a one-minute first wait.
/// </summary>
public class SessionApp : PipelinerApp
{
    public SessionApp()
        : this(null)
    {
    }

    private SessionApp(TestDatabase? database)
        : base(agentCapacity: 0, new Dictionary<string, string>
        {
            ["Pipeliner:Auth:SignInThrottle:FailuresPerUser"] = "3",
            ["Pipeliner:Auth:SignInThrottle:FailuresPerAddress"] = "10",
            ["Pipeliner:Auth:SignInThrottle:FirstDelay"] = "00:01:00",
            ["Pipeliner:Auth:Session:IdleTimeout"] = "00:30:00",
            ["Pipeliner:Auth:Session:RememberFor"] = "3.00:00:00",
        }, database)
    {
    }

    /// <summary>The same server on PostgreSQL.</summary>
    public sealed class OnPostgres() : SessionApp(TestDatabase.Postgres);

    public ShiftedTime Clock { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
