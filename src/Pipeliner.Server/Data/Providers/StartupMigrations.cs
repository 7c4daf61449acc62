using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// What a server's start pays for migrations (docs/performance.md, "Memory, 2026-12-05 late morning"): the migrations
/// found without loading every type of the server (<see cref="MetadataMigrationsAssembly"/>), and nothing more when the
/// database already has them all.
/// </summary>
public static class StartupMigrations
{
    /// <summary>
    /// The server's contexts: migrations found by <see cref="MetadataMigrationsAssembly"/>, and <c>Migrate</c> without its
    /// check for model changes no migration covers. That check builds the model a second time, plus the snapshot's, and
    /// diffs them at every migrating start; a missing migration is caught before a server runs instead, by
    /// <c>PostgresMigrationTests.Migrations_CoverTheModel_OnEachProvider</c> and <c>dotnet ef migrations has-pending-model-changes</c>.
    /// </summary>
    public static DbContextOptionsBuilder UseStartupMigrations(this DbContextOptionsBuilder db) =>
        db.ReplaceService<IMigrationsAssembly, MetadataMigrationsAssembly>()
            .ConfigureWarnings(warnings => warnings.Ignore(RelationalEventId.PendingModelChangesWarning));

    /// <summary>
    /// Whether every migration of <paramref name="db"/>'s context is in the database's history already: one query, and
    /// then <c>Migrate</c> (which would find nothing to apply) and its lock are skipped. Migrations in the history that
    /// this version does not know (a newer server's) are left alone, as <c>Migrate</c> leaves them.
    /// </summary>
    public static async Task<bool> AreAppliedAsync(PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var history = db.GetService<IHistoryRepository>();
        if (!await history.ExistsAsync(cancellationToken)) return false;
        var applied = (await history.GetAppliedMigrationsAsync(cancellationToken)).Select(row => row.MigrationId).ToHashSet(StringComparer.Ordinal);
        return db.GetService<IMigrationsAssembly>().Migrations.Keys.All(applied.Contains);
    }
}
