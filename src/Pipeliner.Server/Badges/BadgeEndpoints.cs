using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Pipeliner.Core.Model;
using Pipeliner.Forges.Refs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Badges;

/// <summary>
/// <c>GET /badge/{project}.svg?branch=</c>: the latest run of a branch (the default branch when none is given; pull
/// request runs do not count) as a badge. Never cached without asking again; the ETag makes asking cheap.
/// </summary>
public static class BadgeEndpoints
{
    public const string Label = "pipeliner";

    public static void MapBadges(this WebApplication app)
    {
        var badge = app.MapGet("/badge/{project}.svg", GetAsync).WithTags("Badges")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml").Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status404NotFound, contentType: "image/svg+xml").WithProblems(StatusCodes.Status400BadRequest);
        // Badges are shown in READMEs, fetched by browsers and forge image proxies that have no token.
        if (app.Services.GetRequiredService<IOptions<PipelinerOptions>>().Value.PublicBadges) badge.AllowAnonymous();
        else badge.RequireAuthorization(Policies.Read);
    }

    private static async Task<IResult> GetAsync(string project, string? branch, PipelinerDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        if (branch is not null && !GitRefs.IsValidRefName(branch)) return Problems.BadRequest($"'{branch}' is not a branch name git accepts");
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Answer(http, StatusCodes.Status404NotFound, BadgeSvg.Render(Label, "not found", Colours.Grey));

        branch ??= entity.DefaultBranch;
        var pullRequest = EventKind.PullRequest.ToName();
        var status = await db.Runs.AsNoTracking()
            .Where(r => r.ProjectId == entity.Id && r.Branch == branch && r.Event != pullRequest)
            .OrderByDescending(r => r.Id).Select(r => r.Status).FirstOrDefaultAsync(cancellationToken);
        var (message, colour) = Message(status);
        return Answer(http, StatusCodes.Status200OK, BadgeSvg.Render(Label, message, colour));
    }

    public static (string Message, string Colour) Message(string? runStatus) => runStatus switch
    {
        "succeeded" => ("passing", Colours.Green),
        "failed" or "invalid" => ("failing", Colours.Red),
        "queued" or "running" or "waiting" => ("running", Colours.Yellow),
        "canceled" => ("canceled", Colours.Grey),
        _ => ("unknown", Colours.Grey),
    };

    private static IResult Answer(HttpContext http, int status, string svg)
    {
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(svg)))[..20]}\"";
        http.Response.Headers.CacheControl = "no-cache, max-age=0";
        http.Response.Headers.ETag = etag;
        if (status == StatusCodes.Status200OK && http.Request.Headers.IfNoneMatch.Any(value => IfNoneMatches(value, etag)))
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Text(svg, "image/svg+xml; charset=utf-8", Encoding.UTF8, status);
    }

    private static bool IfNoneMatches(string? header, string etag) =>
        EntityTagHeaderValue.TryParseList(header?.Split(',') ?? [], out var tags)
        && tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(new EntityTagHeaderValue(etag), useStrongComparison: false));

    private static class Colours
    {
        public const string Green = "#4c1";
        public const string Red = "#e05d44";
        public const string Yellow = "#dfb317";
        public const string Grey = "#9f9f9f";
    }
}
