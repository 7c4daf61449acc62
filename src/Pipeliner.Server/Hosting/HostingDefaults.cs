using Microsoft.AspNetCore.HostFiltering;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// What the server takes from <c>WebApplication.CreateBuilder</c>'s defaults on top of the slim builder: HTTPS endpoints
/// and certificates from the <c>Kestrel</c> settings, the full routing (every route constraint), and <c>AllowedHosts</c>
/// when it names hosts. Left out, because nothing here uses them and each loads assemblies and types an idle server keeps
/// mapped (docs/performance.md, issue 15's memory): HTTP/3 over QUIC, IIS integration, the Debug and EventSource loggers,
/// the host filter for the default <c>AllowedHosts: *</c> (which lets every host through anyway).
/// </summary>
public static class HostingDefaults
{
    public static void AddPipelinerHosting(this WebApplicationBuilder builder)
    {
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddRouting();
        var allowedHosts = builder.Configuration["AllowedHosts"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (allowedHosts is { Length: > 0 } && !allowedHosts.Contains("*"))
        {
            builder.Services.AddHostFiltering(options => options.AllowedHosts = allowedHosts);
            builder.Services.AddTransient<IStartupFilter, HostFilteringStartup>();
        }
    }

    private sealed class HostFilteringStartup : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseHostFiltering();
            next(app);
        };
    }
}
