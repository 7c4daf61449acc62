using Hangfire;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Projects;

/// <summary>
/// <c>POST /api/projects/{project}/archive</c> and <c>/unarchive</c> (admin): an archived project keeps its whole history,
/// readable as before, but takes no webhooks (409) and no new runs (409), its schedules stop, and the project list leaves
/// it out unless asked (<c>GET /api/projects?archived=true|all</c>). Unarchiving brings its schedules back.
/// </summary>
public static class ProjectArchiveEndpoint
{
    public static void MapProjectArchive(this RouteGroupBuilder projects)
    {
        projects.MapPost("/{project}/archive", ArchiveAsync).RequireAuthorization(Policies.Admin)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        projects.MapPost("/{project}/unarchive", UnarchiveAsync).RequireAuthorization(Policies.Admin)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> ArchiveAsync(
        string project, PipelinerDbContext db, IRecurringJobManager recurring, JobStorage storage, AuditTrail audit, TimeProvider time,
        HttpContext http, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (entity.ArchivedAt is { } since) return Problems.Conflict($"project '{project}' is archived already (since {since:yyyy-MM-dd HH:mm} UTC)");

        entity.ArchivedAt = time.GetUtcNow();
        audit.Add(new AuditEvent("project.archive", project, $"project {project}", "archived: history kept, no webhooks or new runs"));
        await db.SaveChangesAsync(cancellationToken);
        using (var connection = storage.GetConnection())
        {
            foreach (var schedule in connection.GetRecurringJobs().Where(j => j.Id.StartsWith($"schedule:{project}:", StringComparison.Ordinal)))
                recurring.RemoveIfExists(schedule.Id);
        }

        return TypedResults.Ok(await ResponseAsync(db, entity, http, cancellationToken));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> UnarchiveAsync(
        string project, PipelinerDbContext db, IBackgroundJobClient jobs, AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (entity.ArchivedAt is null) return Problems.Conflict($"project '{project}' is not archived");

        entity.ArchivedAt = null;
        audit.Add(new AuditEvent("project.unarchive", project, $"project {project}", "unarchived: takes webhooks and runs again"));
        await db.SaveChangesAsync(cancellationToken);
        var id = entity.Id;
        jobs.Enqueue<ScheduleSync>(schedules => schedules.SyncAsync(id, CancellationToken.None));
        return TypedResults.Ok(await ResponseAsync(db, entity, http, cancellationToken));
    }

    private static async Task<ProjectResponse> ResponseAsync(PipelinerDbContext db, Data.Entities.ProjectEntity entity, HttpContext http, CancellationToken cancellationToken)
    {
        var latest = await db.Runs.AsNoTracking().Where(r => r.ProjectId == entity.Id && r.Branch == entity.DefaultBranch)
            .OrderByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        return entity.ToResponse(http.BaseUrl(), latest);
    }
}
