using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Audit;

public sealed record AuditEntryResponse(
    long Id, DateTimeOffset At, string Actor, string? Address, string Action, string? Project, string Target, string? Details);

/// <summary><c>GET /api/audit</c>: the audit log, newest first, for release managers and admins. There is no write endpoint.</summary>
public static class AuditEndpoints
{
    private const int PageSize = 50;

    public static void MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/audit").WithTags("Audit").WithAuthProblems()
            .MapGet("/", ListAsync).RequireAuthorization(Policies.ReleaseManager).WithProblems(StatusCodes.Status400BadRequest);
    }

    private static async Task<Results<Ok<PagedResponse<AuditEntryResponse>>, ProblemHttpResult>> ListAsync(
        string? project, int? page, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (page is < 1) return Problems.BadRequest("page starts at 1");
        var number = page ?? 1;
        var entries = db.AuditEntries.AsNoTracking();
        if (!string.IsNullOrEmpty(project)) entries = entries.Where(e => e.Project == project);
        var total = await entries.CountAsync(cancellationToken);
        var items = await entries.OrderByDescending(e => e.Id).Skip((number - 1) * PageSize).Take(PageSize)
            .Select(e => new AuditEntryResponse(e.Id, e.At, e.Actor, e.Address, e.Action, e.Project, e.Target, e.Details))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedResponse<AuditEntryResponse>(items, total, number, PageSize));
    }
}
