using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Projects;

/// <summary>
/// <c>DELETE /api/projects/{project}?confirm={project}</c>: removes a project with its whole history — runs, jobs, logs,
/// artifacts, deliveries, deployments, environments, secrets, schedules, its mirror and caches. The name is typed again
/// (<c>confirm</c>), and a project with an unfinished run is refused: cancel it first.
/// </summary>
public static class ProjectDeleteEndpoint
{
    public static void MapProjectDelete(this RouteGroupBuilder projects) =>
        projects.MapDelete("/{project}", DeleteAsync).RequireAuthorization(Policies.Admin)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string project, string? confirm, PipelinerDbContext db, DataLayout layout, IArtifactStore artifacts, ICacheStore caches,
        IRecurringJobManager recurring, JobStorage storage, AuditTrail audit, IndexedRuns indexedRuns, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (confirm != project) return Problems.BadRequest($"confirm is the project's name: repeat '{project}' to delete it with its whole history");
        string[] finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
        var unfinished = await db.Runs.Where(r => r.ProjectId == entity.Id && !finished.Contains(r.Status))
            .OrderBy(r => r.Number).Select(r => r.Number).ToListAsync(cancellationToken);
        if (unfinished.Count > 0)
            return Problems.Conflict($"project '{project}' has unfinished runs (#{string.Join(", #", unfinished)}): cancel them first");

        var runIds = await db.Runs.Where(r => r.ProjectId == entity.Id).Select(r => r.Id).ToListAsync(cancellationToken);
        var logPaths = await db.Attempts.Where(a => a.Job!.Run!.ProjectId == entity.Id).Select(a => a.LogPath).ToListAsync(cancellationToken);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // Logs kept in the database (Pipeliner:Storage:Provider=database) are named by their attempts' paths.
            await db.LogChunks.Where(c => logPaths.Contains(c.Path)).ExecuteDeleteAsync(cancellationToken);
            await db.StoredLogs.Where(l => logPaths.Contains(l.Path)).ExecuteDeleteAsync(cancellationToken);
            // Deliveries name the project without a foreign key; everything else goes with the project row (cascades).
            await db.WebhookDeliveries.Where(d => d.ProjectId == entity.Id).ExecuteDeleteAsync(cancellationToken);
            db.Projects.Remove(entity);
            audit.Add(new AuditEvent("project.delete", project, $"project {project}", $"deleted with its history ({runIds.Count} runs)"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        indexedRuns.Forget(runIds);

        using (var connection = storage.GetConnection())
        {
            foreach (var schedule in connection.GetRecurringJobs().Where(j => j.Id.StartsWith($"schedule:{project}:", StringComparison.Ordinal)))
                recurring.RemoveIfExists(schedule.Id);
        }

        // The files go last: a failure here leaves files nobody reads, never rows without their files. Artifacts and caches
        // through their stores (in the database with Pipeliner:Storage:Provider=database), then whatever is left on disk.
        var logger = loggers.CreateLogger(typeof(ProjectDeleteEndpoint));
        foreach (var id in runIds) await artifacts.DeleteAsync(id, CancellationToken.None);
        foreach (var cache in await caches.ListAsync(project, CancellationToken.None)) await caches.DeleteAsync(cache, CancellationToken.None);
        var directories = runIds.Select(id => layout.RunDirectory(RunStore.RunKey(id)))
            .Append(layout.Mirror(project)).Append(Path.GetDirectoryName(Path.GetDirectoryName(layout.Cache(project, "scope", "key")))!);
        foreach (var directory in directories)
        {
            try
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
            catch (IOException e)
            {
                logger.LogWarning("Files of the deleted project {Project} not removed from {Directory}: {Reason}", project, directory, e.Message);
            }
            catch (UnauthorizedAccessException e)
            {
                logger.LogWarning("Files of the deleted project {Project} not removed from {Directory}: {Reason}", project, directory, e.Message);
            }
        }

        return TypedResults.NoContent();
    }
}
