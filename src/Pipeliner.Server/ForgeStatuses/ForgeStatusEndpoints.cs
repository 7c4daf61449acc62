using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.ForgeStatuses;

public sealed record ForgeStatusesResponse(bool Reports, List<ForgeStatusContextResponse> Contexts, List<ForgeStatusAttemptResponse> Attempts);

/// <summary>A context's newest state and the one the forge last accepted (null before any).</summary>
public sealed record ForgeStatusContextResponse(string Context, string? Job, string State, string? DeliveredState);

public sealed record ForgeStatusAttemptResponse(
    string Context, string State, string Description, string Outcome, int? HttpStatus, string? Message, DateTimeOffset At);

/// <summary><c>GET /api/runs/{id}/statuses</c>: the commit statuses of a run and every try to deliver them.</summary>
public static class ForgeStatusEndpoints
{
    public static IServiceCollection AddForgeStatuses(this IServiceCollection services)
    {
        services.AddSingleton<ForgeStatusLocks>();
        services.AddSingleton<ForgeStatusResendSchedule>();
        services.AddScoped<ForgeStatusOutbox>();
        services.AddScoped<ForgeStatusTargets>();
        services.AddScoped<ForgeStatusDelivery>();
        services.AddScoped<ForgeStatusRedelivery>();
        services.AddHttpClient(ForgeStatusDelivery.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        return services;
    }

    public static void MapForgeStatuses(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/runs/{id:long}/statuses", GetAsync).WithTags("Runs").RequireAuthorization(Policies.Read)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .WithProblems(StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<ForgeStatusesResponse>, ProblemHttpResult>> GetAsync(
        long id, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var project = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => r.Project).FirstOrDefaultAsync(cancellationToken);
        if (project is null) return Problems.NotFound($"no run {id}");

        var contexts = await db.ForgeStatusContexts.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Id)
            .Select(c => new ForgeStatusContextResponse(c.Context, c.JobId, c.State, c.DeliveredState))
            .ToListAsync(cancellationToken);
        var attempts = await db.ForgeStatusAttempts.AsNoTracking().Where(a => a.Update!.Context!.RunId == id).OrderBy(a => a.Id)
            .Select(a => new ForgeStatusAttemptResponse(a.Update!.Context!.Context, a.Update.State, a.Update.Description, a.Outcome,
                a.HttpStatus, a.Message, a.At))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new ForgeStatusesResponse(ForgeStatusOutbox.Reports(project), contexts, attempts));
    }
}
