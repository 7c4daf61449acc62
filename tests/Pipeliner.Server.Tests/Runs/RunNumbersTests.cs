using System.Data.Common;
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
/// Run numbers on a real SQLite and PostgreSQL database, with a second server taking a number in the middle of the first
/// one's statements: each gets its own.
/// </summary>
public sealed class RunNumbersTests : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private TestPostgresDatabase? _postgres;
    private TestDatabase _database;

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task NextAsync_GivesEachItsOwnNumber_WhenAnotherServerTakesOneBetweenItsStatements(TestDatabase database)
    {
        _database = database;
        if (database == TestDatabase.Postgres) _postgres = await TestPostgres.CreateDatabaseAsync("runnumbers");
        await using (var setup = Context())
        {
            await setup.Database.MigrateAsync();
            setup.Projects.Add(new ProjectEntity
            {
                Name = "shop", Repository = "/srv/shop.git", Forge = "github", WebhookSecretProtected = "x", PipelineFile = ".pipeliner.yml",
                DefaultBranch = "main",
            });
            await setup.SaveChangesAsync();
        }

        var projectId = 1;
        await using var other = Context();
        var theirs = 0;
        // Just before this server's second statement runs, the other server takes a number, all of it.
        var interleave = new BeforeCommand(2, async () => theirs = await RunNumbers.NextAsync(other, projectId, CancellationToken.None));
        await using var ours = Context(interleave);

        var mine = await RunNumbers.NextAsync(ours, projectId, CancellationToken.None);

        Assert.True(interleave.Fired, "the other server never took its number");
        Assert.Equal([1, 2], new[] { mine, theirs }.Order());
        Assert.Equal(2, await other.Projects.Where(p => p.Id == projectId).Select(p => p.LastRunNumber).SingleAsync());
        Assert.Equal(3, await RunNumbers.NextAsync(other, projectId, CancellationToken.None));
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

    /// <summary>Runs <paramref name="action"/> once, just before the <paramref name="number"/>th command of its context executes.</summary>
    private sealed class BeforeCommand(int number, Func<Task> action) : DbCommandInterceptor
    {
        private int _seen;

        public bool Fired { get; private set; }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await CountAsync();
            return result;
        }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await CountAsync();
            return result;
        }

        private async Task CountAsync()
        {
            if (++_seen != number) return;
            Fired = true;
            await action();
        }
    }
}
