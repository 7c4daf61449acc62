using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Logs.Search;
using Pipeliner.TestSupport.Databases;
using Pipeliner.TestSupport.Seeding;
using Pipeliner.TestSupport.Hosting;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// The server in the test process (WebApplicationFactory) with a data directory of its own, a real database (SQLite,
/// or a PostgreSQL database of its own on the test cluster) and Hangfire, and the embedded agent on the real Docker
/// backend (or none, with <paramref name="agentCapacity"/> 0).
/// One per test class: each test registers its own projects, so tests of a class do not see each other's runs.
/// </summary>
/// <param name="settings">More configuration, e.g. <c>Pipeliner:Auth:AnonymousRead</c>.</param>
/// <param name="database">The database; null: <see cref="TestDatabases.Default"/>.</param>
public abstract class PipelinerApp(int agentCapacity, IReadOnlyDictionary<string, string>? settings = null, TestDatabase? database = null)
    : WebApplicationFactory<Program>, IAsyncLifetime, ISeedTarget
{
    public const string AdminToken = "plr_test-admin-token";
    public const string LocalRepositoriesSetting = "Pipeliner:Projects:AllowLocalRepositories";

    private readonly TempDirectory _directory = new();
    private TestPostgresDatabase? _postgres;
    private int _projects;
    private int _tokens;

    public string DataDir => _directory.Combine("data");

    public TestDatabase Database { get; } = database ?? TestDatabases.Default;

    /// <summary>The settings that put a server on this server's database (for a replica of it).</summary>
    public IReadOnlyDictionary<string, string> DatabaseSettings => _postgres is null
        ? new Dictionary<string, string>()
        : new Dictionary<string, string>
        {
            ["Pipeliner:Database:Provider"] = "postgres",
            ["ConnectionStrings:Pipeliner"] = _postgres.ConnectionString,
        };

    /// <summary>Errors the server logged: an unhandled exception behind a 500 shows here.</summary>
    public CapturedErrors Errors { get; } = new();

    /// <summary>A place for the test's repositories, removed with the server.</summary>
    public string WorkDir => Directory.CreateDirectory(_directory.Combine("work")).FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseTestProcessSettings();
        builder.UseSetting("Pipeliner:DataDir", DataDir);
        builder.UseSetting("Pipeliner:BootstrapToken", AdminToken);
        builder.UseSetting("Pipeliner:QueuePollInterval", "00:00:00.050");
        builder.UseSetting("Pipeliner:Agent:Capacity", agentCapacity.ToString(CultureInfo.InvariantCulture));
        // The tests register repositories by their local path, on a server with many users.
        builder.UseSetting(LocalRepositoriesSetting, "true");
        foreach (var (key, value) in DatabaseSettings) builder.UseSetting(key, value);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddProvider(Errors));
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ClientAddress>());
    }

    public async Task InitializeAsync()
    {
        if (agentCapacity > 0) await DockerProbe.EnsureEngineAsync();
        if (Database == TestDatabase.Postgres) _postgres = await TestPostgres.CreateDatabaseAsync(GetType().Name);
        // Starts the host: migrations, bootstrap token, recovery and the agent.
        _ = Server;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>A client sending <paramref name="token"/> as bearer token (none when null).</summary>
    public HttpClient Client(string? token = AdminToken)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.Timeout = TimeSpan.FromMinutes(2);
        return client;
    }

    /// <summary>
    /// A new token of <paramref name="role"/> for a new user of that role (one person per call), stored hashed through
    /// the database as the server stores its own.
    /// </summary>
    public async Task<string> CreateTokenAsync(Role role, DateTimeOffset? expiresAt = null, DateTimeOffset? revokedAt = null)
    {
        var token = TokenHasher.NewToken();
        await WithDbAsync(async db =>
        {
            var user = new UserEntity
            {
                Name = $"{role.ToName()} {Interlocked.Increment(ref _tokens)}",
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
                ExpiresAt = expiresAt,
                RevokedAt = revokedAt,
            });
            db.Users.Add(user);
            await db.SaveChangesAsync();
        });
        return token;
    }

    public async Task<T> WithDbAsync<T>(Func<PipelinerDbContext, Task<T>> use)
    {
        await using var scope = Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<PipelinerDbContext>());
    }

    public Task WithDbAsync(Func<PipelinerDbContext, Task> use) => WithDbAsync(async db =>
    {
        await use(db);
        return true;
    });

    /// <summary>Indexes (and compresses) every ended attempt's log now, as the background pass would.</summary>
    public Task<int> SealAllLogsAsync() => Services.GetRequiredService<LogSealer>().CatchUpAsync(CancellationToken.None);

    /// <summary>A project name no other test of this server uses.</summary>
    public string NewProjectName(string hint) => $"{hint}-{Interlocked.Increment(ref _projects)}";

    /// <summary>A git repository in the work directory holding <paramref name="pipeline"/> as .pipeliner.yml.</summary>
    public GitRepository NewRepository(string pipeline, string branch = "main") =>
        GitRepository.WithPipeline(Path.Combine(WorkDir, $"repo-{Guid.NewGuid():N}"), pipeline, branch);
}

/// <summary>No embedded agent: runs are created and planned but no job starts.</summary>
public sealed class AppWithoutAgent() : PipelinerApp(agentCapacity: 0);

/// <summary><see cref="AppWithoutAgent"/> on PostgreSQL.</summary>
public sealed class AppWithoutAgentOnPostgres() : PipelinerApp(agentCapacity: 0, database: TestDatabase.Postgres);

/// <summary>The embedded agent with two slots on the real Docker engine.</summary>
public sealed class AppWithAgent() : PipelinerApp(agentCapacity: 2);

/// <summary><see cref="AppWithAgent"/> on PostgreSQL.</summary>
public sealed class AppWithAgentOnPostgres() : PipelinerApp(agentCapacity: 2, database: TestDatabase.Postgres);
