using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// A webhook delivery as <c>GET /api/projects/{project}/deliveries</c> shows it. <c>Message</c> is the human reason;
/// <c>NextAttemptAt</c> is set while it is retrying; <c>RedeliveryOf</c> names the delivery it sends again;
/// <c>Redeliverable</c> says whether its event was kept, so that an admin may send it again.
/// </summary>
public sealed record DeliveryResponse(
    long Id, string? DeliveryId, DateTimeOffset ReceivedAt, string Forge, string Event, string? Ref, string? Commit, string Outcome,
    string? Message, long? RunId, int? RunNumber, DateTimeOffset? NextAttemptAt, long? RedeliveryOf, bool Redeliverable);

/// <summary>What happened to a project's webhooks (developers), and sending one again (admins).</summary>
public static class DeliveryEndpoints
{
    private const int PageSize = 50;

    public static void MapDeliveries(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/api/projects/{project}/deliveries").WithTags("Webhooks").WithAuthProblems();
        deliveries.MapGet("/", ListAsync).RequireAuthorization(Policies.Developer)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        deliveries.MapPost("/{id:long}/redeliver", RedeliverAsync).RequireAuthorization(Policies.Admin)
            .WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<Results<Ok<PagedResponse<DeliveryResponse>>, ProblemHttpResult>> ListAsync(
        string project, int? page, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (page is < 1) return Problems.BadRequest("page starts at 1");
        if (await ProjectIdAsync(db, project, cancellationToken) is not { } projectId) return Problems.NotFound($"no project '{project}'");
        var number = page ?? 1;
        var deliveries = db.WebhookDeliveries.AsNoTracking().Where(d => d.ProjectId == projectId);
        var total = await deliveries.CountAsync(cancellationToken);
        var items = await Responses(db, deliveries.OrderByDescending(d => d.Id).Skip((number - 1) * PageSize).Take(PageSize), cancellationToken);
        return TypedResults.Ok(new PagedResponse<DeliveryResponse>(items, total, number, PageSize));
    }

    private static async Task<Results<Accepted<DeliveryResponse>, ProblemHttpResult>> RedeliverAsync(
        string project, long id, PipelinerDbContext db, DeliveryQueue queue, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await ProjectIdAsync(db, project, cancellationToken) is not { } projectId) return Problems.NotFound($"no project '{project}'");
        var original = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id && d.ProjectId == projectId, cancellationToken);
        if (original is null) return Problems.NotFound($"no delivery {id} in project '{project}'");
        if (DeliveryOutcomes.IsPending(original.Outcome)) return Problems.Conflict($"delivery {id} is still being processed");
        if (original.EventJson is null)
            return Problems.Conflict($"delivery {id} has no event to deliver again: it was {original.Outcome.Replace('_', ' ')}, and its payload was not kept");

        var now = time.GetUtcNow();
        var again = new WebhookDeliveryEntity
        {
            ProjectId = projectId,
            DeliveryId = original.DeliveryId,
            Forge = original.Forge,
            Event = original.Event,
            Ref = original.Ref,
            Commit = original.Commit,
            Outcome = DeliveryOutcomes.Received,
            EventJson = original.EventJson,
            ReceivedAt = now,
            RedeliveryOf = original.Id,
            LeaseExpiresAt = queue.QueuedUntil(now),
        };
        db.WebhookDeliveries.Add(again);
        audit.Add(new AuditEvent("delivery.redeliver", project, $"delivery {original.Id}", $"forge delivery {original.DeliveryId ?? "without id"}"));
        await db.SaveChangesAsync(cancellationToken);
        // Read before it is queued: the answer says what was stored (received), not how far a worker already got.
        var response = (await Responses(db, db.WebhookDeliveries.AsNoTracking().Where(d => d.Id == again.Id), cancellationToken)).Single();
        queue.Enqueue(again.Id);
        return TypedResults.Accepted($"/api/projects/{project}/deliveries", response);
    }

    /// <summary>The project's newest delivery, for the dashboard's project card.</summary>
    public static async Task<DeliveryResponse?> NewestAsync(PipelinerDbContext db, int projectId, CancellationToken cancellationToken) =>
        (await Responses(db, db.WebhookDeliveries.AsNoTracking().Where(d => d.ProjectId == projectId).OrderByDescending(d => d.Id).Take(1),
            cancellationToken)).FirstOrDefault();

    private static async Task<int?> ProjectIdAsync(PipelinerDbContext db, string project, CancellationToken cancellationToken) =>
        await db.Projects.Where(p => p.Name == project).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken);

    private static async Task<List<DeliveryResponse>> Responses(
        PipelinerDbContext db, IQueryable<WebhookDeliveryEntity> deliveries, CancellationToken cancellationToken)
    {
        var rows = await deliveries
            .Select(d => new
            {
                d.Id, d.DeliveryId, d.ReceivedAt, d.Forge, d.Event, d.Ref, d.Commit, d.Outcome, d.Message, d.Count, d.RunId,
                d.NextAttemptAt, d.RedeliveryOf, HasEvent = d.EventJson != null,
                RunNumber = db.Runs.Where(r => r.Id == d.RunId).Select(r => (int?)r.Number).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return rows.Select(d => new DeliveryResponse(
            d.Id, d.DeliveryId, d.ReceivedAt, d.Forge, d.Event, d.Ref, d.Commit, d.Outcome,
            d.Count > 1 ? $"{d.Message} ({d.Count} deliveries in a row)" : d.Message,
            d.RunId, d.RunNumber, d.Outcome == DeliveryOutcomes.Retrying ? d.NextAttemptAt : null, d.RedeliveryOf,
            d.HasEvent && !DeliveryOutcomes.IsPending(d.Outcome))).ToList();
    }
}
