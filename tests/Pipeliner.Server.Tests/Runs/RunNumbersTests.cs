using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;
using Pipeliner.TestSupport.Databases;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// Run numbers on a real SQLite and PostgreSQL database, with other servers taking numbers at the same time: each gets its
/// own, and none is skipped.
/// </summary>
public sealed class RunNumbersTests : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private TestPostgresDatabase? _postgres;
    private TestDatabase _database;

    private static async Task<int> NextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken) =>
        (await RunNumbers.TakeNextAsync(db, projectId, cancellationToken)).LastRunNumber;

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task NextAsync_GivesEachItsOwnNumber_WhenServersTakeThemAtOnce(TestDatabase database)
    {
        var projectId = await CreateProjectAsync(database);
        var contexts = Enumerable.Range(0, 6).Select(_ => Context()).ToList();
        try
        {
            var numbers = await Task.WhenAll(contexts.Select(db => Task.Run(() => NextAsync(db, projectId, CancellationToken.None))));

            Assert.Equal([1, 2, 3, 4, 5, 6], numbers.Order());
        }
        finally
        {
            foreach (var db in contexts) await db.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task NextAsync_TakesTheNumberAfter_WhenAnotherServerTookOneInATransactionNotCommittedYet(TestDatabase database)
    {
        var projectId = await CreateProjectAsync(database);
        await using var ours = Context();
        await using var other = Context();
        await using var transaction = await ours.Database.BeginTransactionAsync();
        var mine = await NextAsync(ours, projectId, CancellationToken.None);

        // The other server's update waits for the project row (PostgreSQL) or the write lock (SQLite) until the commit.
        var theirs = Task.Run(() => NextAsync(other, projectId, CancellationToken.None));
        await Task.Delay(200);
        await transaction.CommitAsync();

        Assert.Equal(1, mine);
        Assert.Equal(2, await theirs);
        Assert.Equal(2, await other.Projects.Where(p => p.Id == projectId).Select(p => p.LastRunNumber).SingleAsync());
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task NextAsync_SkipsNoNumber_WhenATransactionThatTookOneRollsBack(TestDatabase database)
    {
        var projectId = await CreateProjectAsync(database);
        await using var db = Context();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            Assert.Equal(1, await NextAsync(db, projectId, CancellationToken.None));
            await transaction.RollbackAsync();
        }

        Assert.Equal(1, await NextAsync(db, projectId, CancellationToken.None));
    }

    private async Task<int> CreateProjectAsync(TestDatabase database)
    {
        _database = database;
        if (database == TestDatabase.Postgres) _postgres = await TestPostgres.CreateDatabaseAsync("runnumbers");
        await using var setup = Context();
        await setup.Database.MigrateAsync();
        var project = new ProjectEntity
        {
            Name = "shop", Repository = "/srv/shop.git", Forge = "github", WebhookSecretProtected = "x", PipelineFile = ".pipeliner.yml",
            DefaultBranch = "main",
        };
        setup.Projects.Add(project);
        await setup.SaveChangesAsync();
        return project.Id;
    }

    private PipelinerDbContext Context(params IInterceptor[] interceptors)
    {
        if (_database == TestDatabase.Postgres)
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
}
