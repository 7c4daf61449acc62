using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;
using Pipeliner.TestSupport.Seeding;

namespace Pipeliner.Server.Tests.Data;

/// <summary><c>--Pipeliner:Database:CopyFrom</c>: an existing SQLite installation moved to PostgreSQL with its ids, sequences and secrets.</summary>
[Trait("Database", "postgres")]
public sealed class DatabaseCopyTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private readonly SqliteInstallation _sqlite = new();
    private TestPostgresDatabase? _postgres;

    /// <summary>The installation to move, always on SQLite (whatever the suite's default database).</summary>
    private sealed class SqliteInstallation() : PipelinerApp(agentCapacity: 0, database: TestDatabase.Sqlite);

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)_sqlite).InitializeAsync();
        _postgres = await TestPostgres.CreateDatabaseAsync("copy");
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_sqlite).DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    private Task<(int ExitCode, string Output)> CopyAsync() => ServerProcess.RunUntilExitAsync(_sqlite.DataDir,
        "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={_postgres!.ConnectionString}", $"--Pipeliner:Database:CopyFrom={_sqlite.DataDir}");

    [Fact]
    public async Task CopyFrom_MovesEveryTableToPostgres_SoThatAServerThereShowsTheSameRunsAndDecryptsTheSecrets()
    {
        // An installation with users, a project with a webhook secret and a project secret, runs with (sealed) logs, audit entries.
        var source = _sqlite.Client();
        var user = $"carol-{Guid.NewGuid():N}"[..16];
        await Api.ExpectAsync(await source.PostAsJsonAsync("/api/users", new { name = user, role = "developer" }), HttpStatusCode.Created);
        var project = _sqlite.NewProjectName("moving");
        await Api.ExpectAsync(await source.PostProjectAsync(project, "https://git.example.com/shop/api.git"), HttpStatusCode.Created);
        var secret = $"s3cr3t-{Guid.NewGuid():N}";
        await source.SetSecretAsync(project, "DEPLOY_TOKEN", secret);
        var entity = await _sqlite.WithDbAsync(db => db.Projects.SingleAsync(p => p.Name == project));
        var seed = new RunSeed(_sqlite);
        var runs = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var run = await seed.FinishedRunAsync(entity, i == 1 ? "failed" : "succeeded", "main", Monday.AddHours(i),
                ("build", [$"compiling {i}", $"marker-{project}-{i} done"]), ("test", ["ok"]));
            runs.Add(run.Id);
        }

        await _sqlite.SealAllLogsAsync();
        var listed = await source.GetStringAsync($"/api/projects/{project}/runs");
        var shown = await source.GetStringAsync($"/api/runs/{runs[1]}");
        var log = await source.LogAsync(runs[2], "build");
        var users = await source.GetStringAsync("/api/users");
        await _sqlite.DisposeAsync();
        SqliteConnection.ClearAllPools();

        var (exitCode, output) = await CopyAsync();

        Assert.True(exitCode == 0, output);
        Assert.Contains("rows of Runs", output, StringComparison.Ordinal);
        await using var postgres = new ReplicaApp(_sqlite.DataDir, new Dictionary<string, string>
        {
            ["Pipeliner:Database:Provider"] = "postgres",
            ["ConnectionStrings:Pipeliner"] = _postgres!.ConnectionString,
        });
        using var target = postgres.CreateClient();
        target.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PipelinerApp.AdminToken);

        Assert.Equal(listed, await target.GetStringAsync($"/api/projects/{project}/runs"));
        Assert.Equal(shown, await target.GetStringAsync($"/api/runs/{runs[1]}"));
        Assert.Equal(log, await target.LogAsync(runs[2], "build"));
        Assert.Equal(users, await target.GetStringAsync("/api/users"));
        await using (var scope = postgres.Services.CreateAsyncScope())
        {
            var vault = scope.ServiceProvider.GetRequiredService<SecretVault>();
            var secrets = await vault.ForRunAsync(runs[0], CancellationToken.None);
            Assert.Equal([secret], secrets.Values);
        }

        // The sequences were moved past the copied ids: new rows (a project, its audit entry) get new ids.
        await Api.ExpectAsync(await target.PostProjectAsync(_sqlite.NewProjectName("after"), "https://git.example.com/shop/web.git"), HttpStatusCode.Created);
        // The search index is built on PostgreSQL from the copied attempts and the logs in the data directory.
        var found = await Poll.UntilAsync(
            async () => JsonDocument.Parse(await target.GetStringAsync($"/api/search/logs?q=marker-{project}-")).RootElement.GetProperty("matches").GetArrayLength(),
            count => count == 3, "the copied logs to be searchable on PostgreSQL", TimeSpan.FromSeconds(60));
        Assert.Equal(3, found);
    }

    [Fact]
    public async Task CopyFrom_RefusesAndCopiesNothing_WhenPostgresHoldsData()
    {
        await _sqlite.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await using (var db = new PostgresPipelinerDbContext(new DbContextOptionsBuilder<PostgresPipelinerDbContext>().UseNpgsql(_postgres!.ConnectionString).Options))
        {
            await db.Database.MigrateAsync();
            db.Projects.Add(new Server.Data.Entities.ProjectEntity
            {
                Name = "already-here", Repository = "https://example.com/x.git", Forge = "github", WebhookSecretProtected = "x",
                PipelineFile = ".pipeliner.yml", DefaultBranch = "main", CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var (exitCode, output) = await CopyAsync();

        Assert.Equal(DatabaseCopy.TargetNotEmptyExitCode, exitCode);
        Assert.Contains("the PostgreSQL database is not empty (table \"Projects\" has rows)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        await using var check = new PostgresPipelinerDbContext(new DbContextOptionsBuilder<PostgresPipelinerDbContext>().UseNpgsql(_postgres.ConnectionString).Options);
        Assert.Equal(0, await check.Users.CountAsync());
    }

    [Fact]
    public async Task CopyFrom_ExitsTwoNamingTheSetting_WhenTheProviderIsSqliteOrTheFileIsMissing()
    {
        var (onSqlite, said) = await ServerProcess.RunUntilExitAsync(_sqlite.DataDir + "-other", $"--Pipeliner:Database:CopyFrom={_sqlite.DataDir}");
        Assert.Equal(2, onSqlite);
        Assert.Contains("Pipeliner:Database:CopyFrom: copies into PostgreSQL", said, StringComparison.Ordinal);

        var (missing, told) = await ServerProcess.RunUntilExitAsync(_sqlite.DataDir + "-other",
            "--Pipeliner:Database:Provider=postgres", $"--ConnectionStrings:Pipeliner={_postgres!.ConnectionString}",
            "--Pipeliner:Database:CopyFrom=/nonexistent/pipeliner.db");
        Assert.Equal(2, missing);
        Assert.Contains("no SQLite database at /nonexistent/pipeliner.db", told, StringComparison.Ordinal);
    }
}
