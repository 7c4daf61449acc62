using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Retention;

/// <summary>
/// <c>POST /api/runs/{id}/pin</c> and <c>/unpin</c> (developer): a pinned run keeps its logs and artifacts whatever the
/// retention policy says. Pinning is no step of the run's progress (no status changes), so it is written on its own;
/// each change is audited.
/// </summary>
public static class RunPinEndpoints
{
    public static void MapRunPins(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Retention").WithAuthProblems();
        runs.MapPost("/pin", (long id, PipelinerDbContext db, RunCoordinator coordinator, AuditTrail audit, TimeProvider time, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            SetAsync(id, pinned: true, db, coordinator, audit, time, user, cancellationToken)).RequireAuthorization(Policies.Developer).WithProblems(StatusCodes.Status404NotFound);
        runs.MapPost("/unpin", (long id, PipelinerDbContext db, RunCoordinator coordinator, AuditTrail audit, TimeProvider time, ClaimsPrincipal user, CancellationToken cancellationToken) =>
            SetAsync(id, pinned: false, db, coordinator, audit, time, user, cancellationToken)).RequireAuthorization(Policies.Developer).WithProblems(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<RunPinResponse>, ProblemHttpResult>> SetAsync(
        long id, bool pinned, PipelinerDbContext db, RunCoordinator coordinator, AuditTrail audit, TimeProvider time, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var run = await db.Runs.Where(r => r.Id == id).Select(r => new { r.PinnedAt, r.PinnedBy, Project = r.Project!.Name }).FirstOrDefaultAsync(cancellationToken);
        if (run is null) return Problems.NotFound($"no run {id}");
        if ((run.PinnedAt is not null) == pinned) return TypedResults.Ok(new RunPinResponse(id, pinned, run.PinnedBy, run.PinnedAt));

        var at = pinned ? time.GetUtcNow() : (DateTimeOffset?)null;
        var by = pinned ? AuditTrail.ActorOf(user) : null;
        await db.Runs.Where(r => r.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.PinnedAt, at).SetProperty(r => r.PinnedBy, by), cancellationToken);
        // An unfinished run's aggregate may be cached with the pin as it was: its status events would say so.
        await coordinator.ForgetAsync(id, CancellationToken.None);
        await audit.RecordAsync(new AuditEvent(pinned ? "run.pin" : "run.unpin", run.Project, $"run {id}"), CancellationToken.None);
        return TypedResults.Ok(new RunPinResponse(id, pinned, by, at));
    }
}
