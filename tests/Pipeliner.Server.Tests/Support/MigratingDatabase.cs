using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Tests.Support;

/// <summary>
/// A real SQLite file migrated up to one migration: a test fills it with rows of that older schema, then runs the
/// migrations after it (<see cref="MigrateAsync"/>) and reads what they made of the rows.
/// </summary>
public sealed class MigratingDatabase : IAsyncDisposable
{
    private MigratingDatabase(PipelinerDbContext db) => Db = db;

    public PipelinerDbContext Db { get; }

    public static async Task<MigratingDatabase> AtAsync(string path, string migration)
    {
        var db = new PipelinerDbContext(new DbContextOptionsBuilder<PipelinerDbContext>().UseSqlite($"Data Source={path};Pooling=False").Options);
        await db.GetService<IMigrator>().MigrateAsync(migration);
        return new MigratingDatabase(db);
    }

    /// <summary>Applies every migration after the one the database was made at.</summary>
    public Task MigrateAsync() => Db.GetService<IMigrator>().MigrateAsync();

    public ValueTask DisposeAsync() => Db.DisposeAsync();
}
