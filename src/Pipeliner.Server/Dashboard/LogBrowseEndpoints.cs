using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Retention;

namespace Pipeliner.Server.Dashboard;

public sealed record LogPagesResponse(int Attempt, long Size, long Lines, bool Complete, long PageBytes, IReadOnlyList<LogPageStart> Pages);

public sealed record LogSearchResponse(int Attempt, IReadOnlyList<LogMatch> Matches, bool Truncated);

public sealed record LogDownloadResponse(string Url, DateTimeOffset ExpiresAt);

/// <summary>
/// What the dashboard needs to browse logs of any size: pages with line numbers, search over the whole log, and
/// a download link for the raw file.
/// </summary>
public static class LogBrowseEndpoints
{
    public const int DefaultSearchLimit = 1000;
    public const int MaxSearchLimit = 5000;
    public const int MaxQueryLength = 200;

    public static void MapLogBrowsing(this IEndpointRouteBuilder app)
    {
        var log = app.MapGroup("/api/runs/{id:long}/jobs/{job}/log").WithTags("Dashboard");
        log.MapGet("/pages", PagesAsync).RequireAuthorization(Policies.Read);
        log.MapGet("/search", SearchAsync).RequireAuthorization(Policies.Read);
        log.MapPost("/download", IssueDownloadAsync).RequireAuthorization(Policies.Read);
        // The ticket in the link is the authorization: a browser download sends no header.
        log.MapGet("/raw", RawAsync).AllowAnonymous();
    }

    /// <summary><c>GET …/log/pages?attempt=</c>: where each page of about 16 MiB starts (offset and line), lines and size.</summary>
    private static async Task<Results<Ok<LogPagesResponse>, ProblemHttpResult>> PagesAsync(
        long id, string job, int? attempt, PipelinerDbContext db, ILogStore logs, LogPageIndex index, CancellationToken cancellationToken)
    {
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Logs, cancellationToken) is { } gone) return gone;
        var (found, problem) = await AttemptLog.FindAsync(db, id, job, attempt, cancellationToken);
        if (found is null) return Problems.NotFound(problem!);
        await using var stream = logs.OpenRead(found.Log);
        var (pages, lines, size) = await index.IndexAsync(found.Log.Path, stream, cancellationToken);
        return TypedResults.Ok(new LogPagesResponse(found.Attempt.Number, size, lines, found.Complete, LogPageIndex.PageBytes, pages));
    }

    /// <summary><c>GET …/log/search?q=&amp;attempt=&amp;limit=</c>: the matching lines (number, offset, text), at most limit.</summary>
    private static async Task<Results<Ok<LogSearchResponse>, ProblemHttpResult>> SearchAsync(
        long id, string job, string? q, int? attempt, int? limit, PipelinerDbContext db, ILogStore logs, LogMasking masking,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(q) || q.Length > MaxQueryLength)
            return Problems.BadRequest($"q is the text to find, 1 to {MaxQueryLength} characters");
        if (limit is < 1 or > MaxSearchLimit) return Problems.BadRequest($"limit is between 1 and {MaxSearchLimit}");
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Logs, cancellationToken) is { } gone) return gone;
        var (found, problem) = await AttemptLog.FindAsync(db, id, job, attempt, cancellationToken);
        if (found is null) return Problems.NotFound(problem!);
        // Searched as read: masked, so that no form of a secret is found (a match would tell it is there) or returned.
        await using var log = logs.OpenRead(found.Log);
        await using var stream = await masking.OpenAsync(id, log, 0, log.Length, cancellationToken);
        var (matches, truncated) = await LogSearcher.SearchAsync(stream, q, limit ?? DefaultSearchLimit, cancellationToken);
        return TypedResults.Ok(new LogSearchResponse(found.Attempt.Number, matches, truncated));
    }

    /// <summary><c>POST …/log/download?attempt=</c>: a link to the raw log, valid for a few minutes.</summary>
    private static async Task<Results<Ok<LogDownloadResponse>, ProblemHttpResult>> IssueDownloadAsync(
        long id, string job, int? attempt, PipelinerDbContext db, LogDownloadTickets tickets, TimeProvider time,
        ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Logs, cancellationToken) is { } gone) return gone;
        var (found, problem) = await AttemptLog.FindAsync(db, id, job, attempt, cancellationToken);
        if (found is null) return Problems.NotFound(problem!);
        var number = found.Attempt.Number;
        var ticket = tickets.Issue(id, job, number, user);
        var url = string.Create(CultureInfo.InvariantCulture,
            $"/api/runs/{id}/jobs/{Uri.EscapeDataString(job)}/log/raw?attempt={number}&ticket={Uri.EscapeDataString(ticket)}");
        return TypedResults.Ok(new LogDownloadResponse(url, time.GetUtcNow() + LogDownloadTickets.Lifetime));
    }

    /// <summary><c>GET …/log/raw?attempt=&amp;ticket=</c>: the whole stored log as a file download.</summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> RawAsync(
        long id, string job, int? attempt, string? ticket, PipelinerDbContext db, ILogStore logs, LogDownloadTickets tickets,
        LogMasking masking, CancellationToken cancellationToken)
    {
        if (attempt is not { } number || !await tickets.IsValidAsync(ticket, id, job, number, cancellationToken))
        {
            return Problems.Unauthorized(
                "the download link is not valid, has expired, or its token was revoked or its user disabled; ask for a new one (POST …/log/download)");
        }

        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Logs, cancellationToken) is { } gone) return gone;
        var (found, problem) = await AttemptLog.FindAsync(db, id, job, number, cancellationToken);
        if (found is null) return Problems.NotFound(problem!);
        var name = string.Create(CultureInfo.InvariantCulture, $"run-{id}-{PathSlug.For(job)}-attempt-{number}.log");
        var log = logs.OpenRead(found.Log);
        return TypedResults.Stream(await masking.OpenAsync(id, log, 0, log.Length, cancellationToken), "text/plain; charset=utf-8", name);
    }
}
