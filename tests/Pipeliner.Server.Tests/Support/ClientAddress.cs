using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The in-memory test server has no client address; this sets one from a test header, so that tests can act as
/// several clients (the sign-in slowdown counts per address). Only test servers add it.
/// </summary>
public sealed class ClientAddress : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((http, following) =>
        {
            if (http.Request.Headers.TryGetValue(Header, out var value) && IPAddress.TryParse(value, out var address))
                http.Connection.RemoteIpAddress = address;
            return following(http);
        });
        next(app);
    };
}

/// <summary>The system clock moved forward by <see cref="Shift"/>: tests move time on without waiting.</summary>
public sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Shift { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Shift;
}
