using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Webhooks;

namespace Pipeliner.Server.Dashboard;

/// <param name="LastDeliveryFailure">The project's newest webhook delivery when it failed or was refused, else null.</param>
public sealed record ProjectOverviewResponse(
    IReadOnlyList<RunSummaryResponse> Branches, IReadOnlyList<RunSummaryResponse> PullRequests, DeliveryResponse? LastDeliveryFailure);

public sealed record FailedJobResponse(string Id, string Status, int Attempt);

public sealed record RunFailuresResponse(long RunId, IReadOnlyList<FailedJobResponse> Jobs);

/// <summary>Read models of the dashboard's pages: latest runs per branch and pull request, a pull request's runs, failed jobs.</summary>
public static class OverviewEndpoints
{
    private const int MaxLimit = 50;
    private const int MaxPageSize = 100;
    private const int MaxFailureIds = 100;
    private static readonly string[] FailedStatuses = ["failed", "timed_out"];

    public static void MapOverviews(this IEndpointRouteBuilder app)
    {
        var projects = app.MapGroup("/api/projects/{project}").WithTags("Dashboard");
        projects.MapGet("/overview", OverviewAsync).RequireAuthorization(Policies.Read);
        projects.MapGet("/pulls/{number:int}/runs", PullRequestRunsAsync).RequireAuthorization(Policies.Read);
        app.MapGet("/api/runs/failures", FailuresAsync).WithTags("Dashboard").RequireAuthorization(Policies.Read);
    }

    /// <summary><c>GET /api/projects/{project}/overview?limit=</c>: the latest run of each recently built branch and pull request.</summary>
    private static async Task<Results<Ok<ProjectOverviewResponse>, ProblemHttpResult>> OverviewAsync(
        string project, int? limit, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit) return Problems.BadRequest($"limit is between 1 and {MaxLimit}");
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var take = limit ?? 8;
        var runs = db.Runs.AsNoTracking().Where(r => r.ProjectId == entity.Id);

        var branchRunIds = await runs.Where(r => r.Branch != null && r.PullRequestNumber == null)
            .GroupBy(r => r.Branch).Select(g => g.Max(r => r.Id))
            .OrderByDescending(id => id).Take(take).ToListAsync(cancellationToken);
        var pullRunIds = await runs.Where(r => r.PullRequestNumber != null)
            .GroupBy(r => r.PullRequestNumber).Select(g => g.Max(r => r.Id))
            .OrderByDescending(id => id).Take(take).ToListAsync(cancellationToken);

        var wanted = branchRunIds.Concat(pullRunIds).ToList();
        var byId = await db.Runs.AsNoTracking().Where(r => wanted.Contains(r.Id)).SummaryColumns().ToDictionaryAsync(r => r.Id, cancellationToken);
        List<RunSummaryResponse> Summaries(List<long> ids) => ids.Select(id => byId[id].ToSummary(project)).ToList();
        var lastDelivery = await DeliveryEndpoints.NewestAsync(db, entity.Id, cancellationToken);
        var failure = lastDelivery?.Outcome is DeliveryOutcomes.Failed or DeliveryOutcomes.InvalidSignature ? lastDelivery : null;
        return TypedResults.Ok(new ProjectOverviewResponse(Summaries(branchRunIds), Summaries(pullRunIds), failure));
    }

    /// <summary><c>GET /api/projects/{project}/pulls/{number}/runs?page=&amp;pageSize=</c>: a pull request's runs, newest first.</summary>
    private static async Task<Results<Ok<PagedResponse<RunSummaryResponse>>, ProblemHttpResult>> PullRequestRunsAsync(
        string project, int number, int? page, int? pageSize, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (page is < 1 or > 1_000_000) return Problems.BadRequest("page is between 1 and 1000000");
        if (pageSize is < 1 or > MaxPageSize) return Problems.BadRequest($"pageSize is between 1 and {MaxPageSize}");
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        var size = pageSize ?? 20;
        var current = page ?? 1;
        var query = db.Runs.AsNoTracking().Where(r => r.ProjectId == entity.Id && r.PullRequestNumber == number);
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(r => r.Id).Skip((current - 1) * size).Take(size).SummaryColumns().ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedResponse<RunSummaryResponse>(items.Select(r => r.ToSummary(project)).ToList(), total, current, size));
    }

    /// <summary><c>GET /api/runs/failures?ids=1,2,3</c>: the failed and timed-out jobs of those runs, with their latest attempt.</summary>
    private static async Task<Results<Ok<List<RunFailuresResponse>>, ProblemHttpResult>> FailuresAsync(
        string? ids, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var runIds = new List<long>();
        foreach (var part in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var runId))
                return Problems.BadRequest("ids is a comma-separated list of run ids");
            runIds.Add(runId);
        }

        if (runIds.Count > MaxFailureIds) return Problems.BadRequest($"at most {MaxFailureIds} ids");
        var jobs = await db.Jobs.AsNoTracking()
            .Where(j => runIds.Contains(j.RunId) && FailedStatuses.Contains(j.Status))
            .OrderBy(j => j.RunId).ThenBy(j => j.Position)
            .Select(j => new { j.RunId, j.JobId, j.Status, Attempt = j.Attempts.Max(a => (int?)a.Number) ?? 1 })
            .ToListAsync(cancellationToken);
        var result = jobs.GroupBy(j => j.RunId)
            .Select(g => new RunFailuresResponse(g.Key, g.Select(j => new FailedJobResponse(j.JobId, j.Status, j.Attempt)).ToList()))
            .ToList();
        return TypedResults.Ok(result);
    }
}
