using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Runs;

/// <summary>
/// Run numbers on a real SQLite and PostgreSQL database, with other servers taking numbers at the same time: each gets its
/// own, and none is skipped.
/// </summary>
public sealed class RunNumbersTests : ScratchDatabaseTests
{
    private static async Task<int> NextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken) =>
        (await RunNumbers.TakeNextAsync(db, projectId, cancellationToken)).LastRunNumber;

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

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task TakeNextAsync_ReturnsTheProjectsRowAsTheModelReadsIt_WithItsTimesAndNulls(TestDatabase database)
    {
        var archivedAt = new DateTimeOffset(2026, 12, 6, 13, 45, 10, 250, TimeSpan.FromHours(-5)).AddTicks(1234);
        await CreateDatabaseAsync(database, "runnumbers");
        var added = await Database.AddProjectAsync(p =>
        {
            p.CreatedAt = archivedAt.AddDays(-3);
            p.ArchivedAt = archivedAt;
            p.AllowSecretsForForks = true;
            p.ForgeApiUrl = "https://forge.example/api";
            p.RetentionJson = null;
        });

        ProjectEntity taken;
        await using (var db = Database.Context())
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            taken = await RunNumbers.TakeNextAsync(db, added.Id, CancellationToken.None);
            await transaction.CommitAsync();
        }

        await using var read = Database.Context();
        var stored = await read.Projects.AsNoTracking().SingleAsync(p => p.Id == added.Id);
        Assert.Equal(1, stored.LastRunNumber);
        foreach (var column in ModelTable.Of<ProjectEntity>(read).Columns)
            Assert.True(Equals(column.ValueOf(stored), column.ValueOf(taken)), $"{column.Property.Name}: stored {column.ValueOf(stored)}, returned {column.ValueOf(taken)}");
        Assert.Equal(archivedAt, taken.ArchivedAt);
        Assert.Null(taken.RetentionJson);
    }

    [Fact]
    public async Task TakeNextAsync_Throws_WhenTheProjectDoesNotExist()
    {
        await CreateDatabaseAsync(TestDatabase.Sqlite, "runnumbers");
        await using var db = Database.Context();

        await Assert.ThrowsAsync<InvalidOperationException>(() => RunNumbers.TakeNextAsync(db, 42, CancellationToken.None));
    }

    private async Task<int> CreateProjectAsync(TestDatabase database)
    {
        await CreateDatabaseAsync(database, "runnumbers");
        return (await Database.AddProjectAsync()).Id;
    }

    private PipelinerDbContext Context() => Database.Context();
}
