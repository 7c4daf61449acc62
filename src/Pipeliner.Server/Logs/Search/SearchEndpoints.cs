using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Logs.Search;

public sealed record SearchRebuildResponse(string Status);

/// <summary><c>GET /api/search/logs</c> (read) and the index's admin endpoints: its size, and a rebuild.</summary>
public static class SearchEndpoints
{
    private static readonly string[] RunStatuses = [.. Enum.GetValues<RunStatus>().Select(s => s.ToName())];

    public static void MapLogSearch(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/search").WithTags("Search").WithAuthProblems()
            .MapGet("/logs", SearchAsync).RequireAuthorization(Policies.Read)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        var admin = app.MapGroup("/api/admin/search").WithTags("Search").WithAuthProblems().RequireAuthorization(Policies.Admin);
        admin.MapGet("", StatsAsync).WithProblems(StatusCodes.Status503ServiceUnavailable);
        admin.MapPost("/rebuild", RebuildAsync);
    }

    /// <summary>
    /// <c>GET /api/search/logs?q=&amp;project=&amp;branch=&amp;status=&amp;since=&amp;until=&amp;limit=</c>: lines of every run's
    /// final logs holding <c>q</c> (literal, any case, 3 to 200 characters), newest run first.
    /// </summary>
    private static async Task<Results<Ok<RunLogSearchResponse>, ProblemHttpResult>> SearchAsync(
        string? q, string? project, string? branch, string? status, DateTimeOffset? since, DateTimeOffset? until, int? limit,
        LogSearch search, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (q is null || q.Length < LogSearch.MinQueryLength || q.Length > LogSearch.MaxQueryLength || string.IsNullOrWhiteSpace(q))
        {
            return Problems.BadRequest(
                $"q is the text to find: {LogSearch.MinQueryLength} to {LogSearch.MaxQueryLength} characters, taken literally, in any case" +
                (q is { Length: > 0 and < LogSearch.MinQueryLength } ? $" ('{q}' is too short to search every log)" : ""));
        }

        if (limit is < 1 or > LogSearch.MaxLimit) return Problems.BadRequest($"limit is between 1 and {LogSearch.MaxLimit}");
        if (status is not null && !RunStatuses.Contains(status))
            return Problems.BadRequest($"status '{status}' is not a run status; one of {string.Join(", ", RunStatuses)}");
        if (since is not null && until is not null && since > until) return Problems.BadRequest("since is after until");
        if (project is not null && !await db.Projects.AnyAsync(p => p.Name == project, cancellationToken))
            return Problems.NotFound($"no project '{project}'");

        try
        {
            var filter = new LogSearchFilter(q, project, branch, since, until);
            return TypedResults.Ok(await search.SearchAsync(filter, status, limit ?? LogSearch.DefaultLimit, cancellationToken));
        }
        catch (LogSearchIndexDamagedException)
        {
            return Problems.Unavailable("the log search index is damaged or missing and is being rebuilt from the logs; try again in a few minutes " +
                                        "(an admin can start a rebuild with POST /api/admin/search/rebuild)");
        }
    }

    /// <summary><c>GET /api/admin/search</c>: how many logs and pieces the index holds, the text they cover and the index's size.</summary>
    private static async Task<Results<Ok<LogSearchIndexStats>, ProblemHttpResult>> StatsAsync(ILogSearchIndex index, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await index.StatsAsync(cancellationToken));
        }
        catch (LogSearchIndexDamagedException e)
        {
            return Problems.Unavailable(e.Message);
        }
    }

    /// <summary><c>POST /api/admin/search/rebuild</c>: empties the index and indexes every final log again in the background.</summary>
    private static async Task<Accepted<SearchRebuildResponse>> RebuildAsync(LogSealer sealer, AuditTrail audit, CancellationToken cancellationToken)
    {
        await sealer.RebuildAsync(cancellationToken);
        await audit.RecordAsync(new AuditEvent("search.rebuild", null, "log search index"), cancellationToken);
        return TypedResults.Accepted("/api/admin/search", new SearchRebuildResponse("rebuilding"));
    }
}
