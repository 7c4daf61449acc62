using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Pipeliner.TestSupport.Hosting;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Another server on an existing data directory, as a second replica or the same server after a restart (no agent).</summary>
/// <param name="settings">More settings, e.g. the first server's <see cref="PipelinerApp.DatabaseSettings"/>.</param>
public sealed class ReplicaApp(string dataDir, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseTestProcessSettings();
        builder.UseSetting("Pipeliner:DataDir", dataDir);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.UseSetting("Pipeliner:Agent:Capacity", "0");
    }

    /// <summary>A client without token or cookie jar: the test sets the headers.</summary>
    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
}
