using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// <see cref="SqliteWriteGate"/> on a real <c>pipeliner.db</c>: writers take turns in the process before SQLite's write lock,
/// a request's write before the background's, and every way a write ends gives the turn back.
/// </summary>
public sealed class SqliteWriteGateTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(2);
    private ServerSqliteDatabase _database = null!;

    private WriteTurns Turns => _database.Services.GetRequiredService<WriteTurns>();

    public async Task InitializeAsync()
    {
        var settings = new PipelinerOptions();
        settings.Database.SqliteWriteTurns = true;
        _database = await ServerSqliteDatabase.CreateAsync(settings);
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Theory]
    [InlineData("SELECT 1", false)]
    [InlineData("-- a tag\n-- another\n  select * from x", false)]
    [InlineData("PRAGMA busy_timeout", false)]
    [InlineData("INSERT INTO x VALUES (1) RETURNING id", true)]
    [InlineData("-- a tag\nUPDATE x SET y = 1", true)]
    [InlineData("DELETE FROM x", true)]
    [InlineData("WITH y AS (SELECT 1) INSERT INTO x SELECT * FROM y", true)]
    public void Writes_TellsAWriteFromARead_WhenGivenAStatement(string text, bool writes) =>
        Assert.Equal(writes, SqliteWriteGate.Writes(text));

    [Fact]
    public async Task SaveChangesAsync_WaitsForTheTurn_WhenAnotherContextsTransactionHoldsIt()
    {
        await using var holder = Scope(out var first);
        await using var transaction = await first.Database.BeginTransactionAsync();
        Assert.True(Turns.IsTaken);

        var writing = WriteKeyAsync("waiting");
        await Until(() => Turns.Waiting == (0, 1));
        Assert.False(writing.IsCompleted);

        await transaction.CommitAsync();

        await writing.WaitAsync(Long);
        await Until(() => !Turns.IsTaken);
        Assert.Equal(["waiting"], await NamesAsync());
    }

    [Fact]
    public async Task TheTurn_GoesToARequestsWriteBeforeTheBackgrounds_WhenBothWait()
    {
        await using var holder = Scope(out var first);
        await using var transaction = await first.Database.BeginTransactionAsync();
        var background = WriteKeyAsync("background");
        await Until(() => Turns.Waiting == (0, 1));
        var request = Task.Run(async () =>
        {
            // Set inside this flow only: the test's own flow stays background work.
            _database.Services.GetRequiredService<IHttpContextAccessor>().HttpContext = new DefaultHttpContext();
            await WriteKeyAsync("request");
        });
        await Until(() => Turns.Waiting == (1, 1));

        await transaction.CommitAsync();
        await Task.WhenAll(background, request).WaitAsync(Long);

        Assert.Equal(["request", "background"], await NamesAsync()); // in the order they were written
    }

    [Fact]
    public async Task TheTurn_IsGivenBack_WhenATransactionIsDisposedWithoutCommitOrRollback()
    {
        await using (var holder = Scope(out var first))
        {
            await using var transaction = await first.Database.BeginTransactionAsync();
            first.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "never", Xml = "<key/>" });
            await first.SaveChangesAsync();
            Assert.True(Turns.IsTaken);
        }

        Assert.False(Turns.IsTaken);
        await WriteKeyAsync("after").WaitAsync(Long);
        Assert.Equal(["after"], await NamesAsync());
    }

    [Fact]
    public async Task TheTurn_IsGivenBack_WhenAStatementOutsideATransactionFails()
    {
        await using var scope = Scope(out var db);

        await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlRawAsync("INSERT INTO \"NoSuchTable\" VALUES (1)"));

        Assert.False(Turns.IsTaken);
        await WriteKeyAsync("after").WaitAsync(Long);
        Assert.False(Turns.IsTaken);
    }

    [Fact]
    public async Task AReturningStatement_HoldsTheTurnUntilItsReaderIsDone_WhenRunOutsideATransaction()
    {
        await using var scope = Scope(out var db);

        var ids = await db.Database.SqlQuery<int>($"""INSERT INTO "DataProtectionKeys" ("FriendlyName", "Xml") VALUES ('returned', '<key/>') RETURNING "Id" AS "Value" """).ToListAsync();

        Assert.Single(ids);
        Assert.False(Turns.IsTaken);
        Assert.Equal(["returned"], await NamesAsync());
    }

    [Fact]
    public async Task AQuery_NeverWaitsForTheTurn_WhenAWriterHoldsIt()
    {
        await using var holder = Scope(out var first);
        await using var transaction = await first.Database.BeginTransactionAsync();

        var names = await NamesAsync().WaitAsync(Long);

        Assert.Empty(names);
        Assert.Equal((0, 0), Turns.Waiting);
    }

    [Fact]
    public async Task SaveChanges_WaitsForTheTurnOnItsThread_WhenCalledSynchronously()
    {
        await using var holder = Scope(out var first);
        var transaction = await first.Database.BeginTransactionAsync();
        var writing = Task.Factory.StartNew(() =>
        {
            using var scope = Scope(out var db);
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "sync", Xml = "<key/>" });
            db.SaveChanges();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Until(() => Turns.Waiting == (0, 1));

        await transaction.RollbackAsync();
        await transaction.DisposeAsync();

        await writing.WaitAsync(Long);
        Assert.Equal(["sync"], await NamesAsync());
        Assert.False(Turns.IsTaken);
    }

    [Fact]
    public async Task ATransaction_TakesNoTurn_WhenSqliteWriteTurnsIsOff()
    {
        var settings = new PipelinerOptions(); // off by default
        var services = new ServiceCollection().AddLogging();
        new SqliteDatabase(_database.DataDir, settings).AddDbContext(services);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();

        await using var transaction = await db.Database.BeginTransactionAsync();
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "untimed", Xml = "<key/>" });
        await db.SaveChangesAsync();

        Assert.False(provider.GetRequiredService<WriteTurns>().IsTaken);
        await transaction.CommitAsync();
    }

    private AsyncServiceScope Scope(out PipelinerDbContext db)
    {
        var scope = _database.Services.CreateAsyncScope();
        db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return scope;
    }

    private async Task WriteKeyAsync(string name)
    {
        await using var scope = Scope(out var db);
        db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = name, Xml = "<key/>" });
        await db.SaveChangesAsync();
    }

    private async Task<List<string?>> NamesAsync()
    {
        await using var scope = Scope(out var db);
        return await db.DataProtectionKeys.OrderBy(k => k.Id).Select(k => k.FriendlyName).ToListAsync();
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }
}
