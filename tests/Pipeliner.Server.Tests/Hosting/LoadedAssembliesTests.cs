using System.Net;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// What a server process maps (issue 15's idle memory: each assembly costs its pages and its types): single sign-on's
/// assemblies (ASP.NET Core's OpenID Connect handler and <c>Microsoft.IdentityModel.*</c>) only when an authority is
/// configured. Real server processes on SQLite, read from <c>/proc/&lt;pid&gt;/maps</c> after start (the migrations
/// included) and after the single sign-on endpoints were asked.
/// </summary>
public sealed class LoadedAssembliesTests : IDisposable
{
    private static readonly string[] SingleSignOn =
        ["Microsoft.AspNetCore.Authentication.OpenIdConnect.dll", "Microsoft.IdentityModel.Protocols.OpenIdConnect.dll", "Microsoft.IdentityModel.Tokens.dll"];

    private readonly TempDirectory _directory = new("pipeliner-loaded-assemblies-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Start_LoadsNoOpenIdConnectAssembly_WhenSingleSignOnIsNotConfigured()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0);
        using var client = server.Client(token: null);
        foreach (var path in new[] { "/api/session/oidc", "/api/session/oidc/sign-out" })
        {
            using var notConfigured = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, notConfigured.StatusCode);
        }

        using (var projects = await server.Client().GetAsync("/api/projects"))
            Assert.Equal(HttpStatusCode.OK, projects.StatusCode);

        var mapped = MappedAssemblies(server.ProcessId);

        Assert.Contains("Microsoft.EntityFrameworkCore.Sqlite.dll", mapped);
        Assert.Contains("Pipeliner.Server.dll", mapped);
        Assert.All(SingleSignOn, name => Assert.DoesNotContain(name, mapped));
    }

    [Fact]
    public async Task Start_LoadsOpenIdConnect_WhenAnAuthorityIsSet()
    {
        // The provider is not asked before a sign-in: a closed port on this machine is enough to configure the scheme.
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0, settings:
        [
            $"--Pipeliner:Auth:Oidc:Authority=http://127.0.0.1:{ServerProcess.FreePort()}", "--Pipeliner:Auth:Oidc:ClientId=pipeliner",
            "--Pipeliner:Auth:Oidc:ClientSecret=secret",
        ]);

        var mapped = MappedAssemblies(server.ProcessId);

        Assert.Contains("Microsoft.AspNetCore.Authentication.OpenIdConnect.dll", mapped);
    }

    /// <summary>The file names of the assemblies mapped into the process.</summary>
    private static HashSet<string> MappedAssemblies(int processId) =>
        File.ReadLines($"/proc/{processId}/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length > 5 && fields[5].EndsWith(".dll", StringComparison.Ordinal))
            .Select(fields => Path.GetFileName(fields[5]))
            .ToHashSet(StringComparer.Ordinal);
}
