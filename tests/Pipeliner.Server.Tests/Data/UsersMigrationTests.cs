using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Data;

/// <summary>The Users migration on a real SQLite file holding tokens from before users: nothing stored is lost.</summary>
public sealed class UsersMigrationTests : IDisposable
{
    private const string BeforeUsers = "20261127030454_EnvironmentsAndDeployments";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Migrate_MakesOneUserPerTokenNameWithItsHighestRole_WhenTokensExist()
    {
        await using var database = await MigratingDatabase.AtAsync(_directory.Combine("pipeliner.db"), BeforeUsers);
        var db = database.Db;
        await db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "ApiTokens" ("Name", "Role", "TokenHash", "Prefix", "CreatedAt", "ExpiresAt", "RevokedAt") VALUES
              ('bootstrap admin', 'admin', 'h1', 'plr_a', 300, NULL, NULL),
              ('alice', 'viewer', 'h2', 'plr_b', 200, NULL, NULL),
              ('alice', 'release-manager', 'h3', 'plr_c', 400, 900, NULL),
              ('alice', 'developer', 'h4', 'plr_d', 500, NULL, 600),
              ('ci', 'developer', 'h5', 'plr_e', 100, NULL, NULL);
            """);

        await database.MigrateAsync();

        var users = await db.Users.AsNoTracking().OrderBy(u => u.Name)
            .Select(u => new { u.Name, u.Role, u.CreatedAt.UtcTicks, u.DisabledAt, Tokens = u.Tokens.OrderBy(t => t.Id).Select(t => t.TokenHash).ToList() })
            .ToListAsync();
        Assert.Equal(["alice", "bootstrap admin", "ci"], users.Select(u => u.Name));
        Assert.Equal(["release-manager", "admin", "developer"], users.Select(u => u.Role));
        Assert.Equal([200L, 300L, 100L], users.Select(u => u.UtcTicks));
        Assert.All(users, u => Assert.Null(u.DisabledAt));
        Assert.Equal([["h2", "h3", "h4"], ["h1"], ["h5"]], users.Select(u => u.Tokens));
        var alice = await db.ApiTokens.AsNoTracking().Where(t => t.Name == "alice").OrderBy(t => t.Id).ToListAsync();
        Assert.Equal(["viewer", "release-manager", "developer"], alice.Select(t => t.Role));
        Assert.Equal([null, 900L, null], alice.Select(t => t.ExpiresAt?.UtcTicks));
        Assert.Equal([null, null, 600L], alice.Select(t => t.RevokedAt?.UtcTicks));
    }
}
