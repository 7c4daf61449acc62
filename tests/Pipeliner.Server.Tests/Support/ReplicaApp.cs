using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Another server on an existing data directory, as a second replica or the same server after a restart (no agent).</summary>
public sealed class ReplicaApp(string dataDir) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Pipeliner:DataDir", dataDir);
        builder.UseSetting("Pipeliner:Agent:Capacity", "0");
    }

    /// <summary>A client without token or cookie jar: the test sets the headers.</summary>
    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
}
