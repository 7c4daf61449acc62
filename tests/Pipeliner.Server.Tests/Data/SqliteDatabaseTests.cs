using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>An app on the SQLite provider, whatever the suite's default database.</summary>
public sealed class AppOnSqlite() : PipelinerApp(agentCapacity: 0, database: TestDatabase.Sqlite);

/// <summary>The SQLite provider's database file as the server leaves it after its start.</summary>
public sealed class SqliteDatabaseTests(AppOnSqlite app) : IClassFixture<AppOnSqlite>
{
    [Fact]
    public async Task MigrateAsync_KeepsAWriteAheadLog_WhenTheServerStarts()
    {
        // A rollback journal created, synced and deleted a file for every write transaction (several per job).
        var mode = await app.WithDbAsync(db => db.Database.SqlQueryRaw<string>("SELECT journal_mode AS \"Value\" FROM pragma_journal_mode").SingleAsync());

        Assert.Equal("wal", mode);
        using var admin = app.Client();
        await admin.CreateProjectAsync(app, app.NewRepository(Pipelines.OneJob));
        Assert.True(File.Exists(Path.Combine(app.DataDir, "pipeliner.db-wal")), "no write-ahead log beside pipeliner.db");
    }
}
