using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;

namespace Pipeliner.Server.Runs;

/// <summary>Run numbers: 1, 2, 3… per project, from the project row's counter.</summary>
public static class RunNumbers
{
    /// <summary>
    /// Takes the project's next run number with one conditional update (compare and swap): of two servers or requests
    /// that read the same last number, one update matches and the other reads again. No two runs share a number and none
    /// is skipped, on any database, without relying on a unique-constraint failure.
    /// </summary>
    public static async Task<int> NextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var last = await db.Projects.Where(p => p.Id == projectId).Select(p => p.LastRunNumber).SingleAsync(cancellationToken);
            var taken = await db.Projects.Where(p => p.Id == projectId && p.LastRunNumber == last)
                .ExecuteUpdateAsync(set => set.SetProperty(p => p.LastRunNumber, last + 1), cancellationToken);
            if (taken == 1) return last + 1;
        }
    }
}
