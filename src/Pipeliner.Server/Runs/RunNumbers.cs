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
    /// Written once per model and read without EF Core's query pipeline (<see cref="SqlRows"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The project does not exist.</exception>
    public static async Task<ProjectEntity> TakeNextAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken)
    {
        await using var reader = await TakeNext.For(db).ExecuteReaderAsync(db, [projectId], cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? ModelTable.Of<ProjectEntity>(db).Read<ProjectEntity>(reader.DbDataReader)
            : throw new InvalidOperationException($"project {projectId} does not exist");
    }

    private static readonly SqlRowsPerModel TakeNext = new(sql =>
    {
        var projects = sql.Table<ProjectEntity>();
        var id = projects.Column(nameof(ProjectEntity.Id));
        var counter = projects.Column(nameof(ProjectEntity.LastRunNumber)).Name;
        return $"UPDATE {projects.Name} SET {counter} = {counter} + 1 WHERE {id.Name} = {sql.Parameter(id)} RETURNING {ModelTable.List(projects.Columns)}";
    });
}
