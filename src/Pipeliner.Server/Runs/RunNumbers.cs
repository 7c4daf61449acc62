using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Runs;

/// <summary>Run numbers: 1, 2, 3… per project, from the project row's counter.</summary>
public static class RunNumbers
{
    /// <summary>
    /// Takes the project's next run number with one statement: the counter incremented in place and its new value
    /// returned (<c>UPDATE … RETURNING</c>, the same SQL on SQLite and PostgreSQL). The update locks the project's row until
    /// the caller's transaction ends, so of two servers or requests creating a run at once the second waits and increments
    /// what the first wrote: no two runs share a number, and none is skipped (a rolled-back transaction takes its increment
    /// with it), on either database, without relying on a unique-constraint failure. It replaces a read and a
    /// compare-and-swap (two statements a run, and a retry when two met).
    /// </summary>
    public static async Task<int> NextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken)
    {
        var numbers = await db.Database.SqlQuery<int>($"""
            UPDATE "Projects" SET "LastRunNumber" = "LastRunNumber" + 1 WHERE "Id" = {projectId}
            RETURNING "LastRunNumber" AS "Value"
            """).ToListAsync(cancellationToken);
        return numbers.Count == 1 ? numbers[0] : throw new InvalidOperationException($"project {projectId} does not exist");
    }
}
