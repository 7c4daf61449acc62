using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>Run numbers: 1, 2, 3… per project, from the project row's counter.</summary>
public static class RunNumbers
{
    /// <summary>
    /// Takes the project's next run number with one statement: the counter incremented in place and the project's row
    /// returned as updated (<c>UPDATE … RETURNING</c>, the same SQL on SQLite and PostgreSQL; not tracked), its
    /// <see cref="ProjectEntity.LastRunNumber"/> the number taken. The update locks the project's row until the caller's
    /// transaction ends, so of two servers or requests creating a run at once the second waits and increments what the
    /// first wrote: no two runs share a number, and none is skipped (a rolled-back transaction takes its increment with it),
    /// on either database, without relying on a unique-constraint failure. It replaces a read and a compare-and-swap (two
    /// statements a run, and a retry when two met); the row it returns spares the run's first advance reading the project.
    /// </summary>
    /// <exception cref="InvalidOperationException">The project does not exist.</exception>
    public static async Task<ProjectEntity> TakeNextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken)
    {
        var rows = await db.Projects.FromSql($"""
            UPDATE "Projects" SET "LastRunNumber" = "LastRunNumber" + 1 WHERE "Id" = {projectId}
            RETURNING *
            """).AsNoTracking().ToListAsync(cancellationToken);
        return rows.Count == 1 ? rows[0] : throw new InvalidOperationException($"project {projectId} does not exist");
    }
}
