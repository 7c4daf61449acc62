using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.TestSupport.Seeding;
using Pipeliner.TestSupport.Hosting;

namespace Pipeliner.Web.Tests.Support;

/// <summary>The server in the test process with a data directory of its own and no agent: runs are written by the tests.</summary>
public class DashboardApp : WebApplicationFactory<Program>, ISeedTarget
{
    public const string AdminToken = "plr_dashboard-test-admin";

    private readonly TempDirectory _directory = new();
    private int _tokens;

    public string DataDir => _directory.Combine("data");

    protected virtual bool AnonymousRead => false;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseTestProcessSettings();
        builder.UseSetting("Pipeliner:DataDir", DataDir);
        builder.UseSetting("Pipeliner:BootstrapToken", AdminToken);
        builder.UseSetting("Pipeliner:Agent:Capacity", "0");
        builder.UseSetting("Pipeliner:Auth:AnonymousRead", AnonymousRead ? "true" : "false");
        // The tests register repositories by their local path, on a server with many users.
        builder.UseSetting("Pipeliner:Projects:AllowLocalRepositories", "true");
    }

    public HttpClient Client(string? token = AdminToken)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A new token of <paramref name="role"/> for a new user of that role (one person per call).</summary>
    public async Task<string> CreateTokenAsync(Role role)
    {
        var token = TokenHasher.NewToken();
        await WithDbAsync(async db =>
        {
            var user = new UserEntity
            {
                Name = $"{role.ToName()} {Interlocked.Increment(ref _tokens).ToString(CultureInfo.InvariantCulture)}",
                Role = role.ToName(),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            user.Tokens.Add(new ApiTokenEntity
            {
                Name = "test",
                Role = role.ToName(),
                TokenHash = TokenHasher.Hash(token),
                Prefix = TokenHasher.Prefix(token),
                CreatedAt = DateTimeOffset.UtcNow,
            });
            db.Users.Add(user);
            await db.SaveChangesAsync();
        });
        return token;
    }

    /// <summary>
    /// A browser signed in with a password as a new user of <paramref name="role"/>: a client keeping the session
    /// cookie, and the anti-forgery proof its writes must send.
    /// </summary>
    public async Task<(HttpClient Browser, string Csrf)> SignInAsync(Role role)
    {
        const string password = "a dashboard test passphrase";
        var name = $"{role.ToName()}-session-{Interlocked.Increment(ref _tokens).ToString(CultureInfo.InvariantCulture)}";
        await WithDbAsync(async db =>
        {
            var user = new UserEntity { Name = name, Role = role.ToName(), CreatedAt = DateTimeOffset.UtcNow };
            Services.GetRequiredService<Passwords>().Set(user, password, DateTimeOffset.UtcNow);
            db.Users.Add(user);
            await db.SaveChangesAsync();
        });
        var browser = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        using var response = await browser.PostAsJsonAsync("/api/session", new { user = name, password });
        if (response.StatusCode != System.Net.HttpStatusCode.NoContent)
            throw new InvalidOperationException($"signing in as {name}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var me = await browser.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/me");
        return (browser, me.GetProperty("csrfToken").GetString()!);
    }

    public async Task WithDbAsync(Func<PipelinerDbContext, Task> use)
    {
        _ = Server;
        await using var scope = Services.CreateAsyncScope();
        await use(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>());
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same server with anonymous reading switched on.</summary>
public sealed class AnonymousReadApp : DashboardApp
{
    protected override bool AnonymousRead => true;
}
