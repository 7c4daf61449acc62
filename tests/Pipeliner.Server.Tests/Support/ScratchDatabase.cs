using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// A real database of its own without a server: a SQLite file or a PostgreSQL database, migrated, and contexts on it as
/// each provider configures them (several at once act as several servers).
/// </summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly TestDatabase _kind;
    private readonly TempDirectory _directory = new();
    private TestPostgresDatabase? _postgres;

    private ScratchDatabase(TestDatabase kind) => _kind = kind;

    public static async Task<ScratchDatabase> CreateAsync(TestDatabase kind, string hint)
    {
        var database = new ScratchDatabase(kind);
        if (kind == TestDatabase.Postgres) database._postgres = await TestPostgres.CreateDatabaseAsync(hint);
        await using var setup = database.Context();
        await setup.Database.MigrateAsync();
        return database;
    }

    public PipelinerDbContext Context(params IInterceptor[] interceptors)
    {
        if (_kind == TestDatabase.Postgres)
        {
            var postgres = new DbContextOptionsBuilder<PostgresPipelinerDbContext>();
            PostgresDatabase.Configure(postgres, _postgres!.ConnectionString).AddInterceptors(interceptors);
            return new PostgresPipelinerDbContext(postgres.Options);
        }

        return new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>()
            .UseSqlite($"Data Source={_directory.Combine("pipeliner.db")};Pooling=False")
            .AddInterceptors(interceptors)
            .Options);
    }

    /// <summary>A project's row; <paramref name="complete"/> sets more of it.</summary>
    public async Task<ProjectEntity> AddProjectAsync(Action<ProjectEntity>? complete = null)
    {
        await using var db = Context();
        var project = new ProjectEntity
        {
            Name = "shop", Repository = "/srv/shop.git", Forge = "github", WebhookSecretProtected = "x", PipelineFile = ".pipeliner.yml",
            DefaultBranch = "main",
        };
        complete?.Invoke(project);
        db.Projects.Add(project);
        await db.SaveChangesAsync();
        return project;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        _directory.Dispose();
    }
}
