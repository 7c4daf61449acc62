using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Retention;

/// <summary>
/// A project's retention policy (<c>GET</c>, <c>PUT</c>, <c>DELETE /api/projects/{project}/retention</c>) and the passes
/// (<c>POST /api/retention/preview</c>, <c>/apply</c>); pinning runs is in <see cref="RunPinEndpoints"/>.
/// </summary>
public static class RetentionEndpoints
{
    private const long MaxBodyBytes = 64 * 1024;

    public static void MapRetention(this IEndpointRouteBuilder app)
    {
        var project = app.MapGroup("/api/projects/{project}/retention").WithTags("Retention").WithAuthProblems();
        project.MapGet("/", GetAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        project.MapPut("/", PutAsync).RequireAuthorization(Policies.Admin)
            .Accepts<ProjectRetention>("application/json").WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        project.MapDelete("/", DeleteAsync).RequireAuthorization(Policies.Admin).WithProblems(StatusCodes.Status404NotFound);

        var passes = app.MapGroup("/api/retention").WithTags("Retention").WithAuthProblems().RequireAuthorization(Policies.Admin);
        passes.MapPost("/preview", PreviewAsync).WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        passes.MapPost("/apply", ApplyAsync).WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapRunPins();
    }

    private static async Task<Results<Ok<RetentionResponse>, ProblemHttpResult>> GetAsync(
        string project, PipelinerDbContext db, IOptions<PipelinerOptions> options, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        return entity is null ? Problems.NotFound($"no project '{project}'") : TypedResults.Ok(Response(entity, options.Value));
    }

    private static async Task<Results<Ok<RetentionResponse>, ProblemHttpResult>> PutAsync(
        string project, HttpContext http, PipelinerDbContext db, AuditTrail audit, IOptions<PipelinerOptions> options, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellationToken);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"the body is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}); " +
                                       $"send e.g. {RetentionRequest.Example}");
        }

        var (policy, problems) = RetentionRequest.Parse(body);
        if (policy is null) return Problems.BadRequest(string.Join("; ", problems));
        entity.RetentionJson = policy.ToJson();
        audit.Add(new AuditEvent("project.retention", project, $"project {project}", entity.RetentionJson));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(Response(entity, options.Value));
    }

    /// <summary>Back to the server's default (<c>Pipeliner:Retention</c>).</summary>
    private static async Task<Results<Ok<RetentionResponse>, ProblemHttpResult>> DeleteAsync(
        string project, PipelinerDbContext db, AuditTrail audit, IOptions<PipelinerOptions> options, CancellationToken cancellationToken)
    {
        var entity = await db.Projects.FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");
        if (entity.RetentionJson is not null)
        {
            entity.RetentionJson = null;
            audit.Add(new AuditEvent("project.retention", project, $"project {project}", "the server's default"));
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(Response(entity, options.Value));
    }

    private static async Task<Results<Ok<RetentionReport>, ProblemHttpResult>> PreviewAsync(
        string? project, int? limit, PipelinerDbContext db, RetentionPass pass, CancellationToken cancellationToken)
    {
        if (await WhyNotAsync(project, limit, db, cancellationToken) is { } problem) return problem;
        return TypedResults.Ok(await pass.PreviewAsync(project, limit ?? RetentionPass.DefaultListLimit, cancellationToken));
    }

    private static async Task<Results<Ok<RetentionReport>, ProblemHttpResult>> ApplyAsync(
        string? project, int? limit, PipelinerDbContext db, RetentionPass pass, CancellationToken cancellationToken)
    {
        if (await WhyNotAsync(project, limit, db, cancellationToken) is { } problem) return problem;
        // Once started, a pass finishes even if the caller goes away: marked runs must lose their files.
        var report = await pass.ApplyAsync(project, limit ?? RetentionPass.DefaultListLimit, CancellationToken.None);
        return report is null ? Problems.Conflict("a retention pass is running on this server already; try again when it has finished") : TypedResults.Ok(report);
    }

    private static async Task<ProblemHttpResult?> WhyNotAsync(string? project, int? limit, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (limit is < 0 or > RetentionPass.MaxListLimit)
            return Problems.BadRequest($"limit is how many runs and caches to list, 0 to {RetentionPass.MaxListLimit}; it was {limit}");
        if (project is not null && !await db.Projects.AnyAsync(p => p.Name == project, cancellationToken))
            return Problems.NotFound($"no project '{project}'");
        return null;
    }

    private static RetentionResponse Response(ProjectEntity project, PipelinerOptions options)
    {
        var server = RetentionPolicy.From(options.Retention);
        var own = ProjectRetention.FromJson(project.RetentionJson);
        var effective = own?.Resolve(server) ?? server;
        var logs = effective.Logs.ToJson();
        var artifacts = effective.Artifacts.ToJson();
        var result = own is not null
            ? new RetentionResponse(project.Name, "project", own.KeepLastPerBranch, own.MaxAgeDays, own.MaxSize, own.Artifacts, own.Caches, default!)
            : new RetentionResponse(project.Name, "server", logs.KeepLastPerBranch, logs.MaxAgeDays, logs.MaxSize,
                artifacts == logs ? null : artifacts, effective.Caches.ToJson(), default!);
        return result with { Effective = new EffectiveRetentionResponse(logs, artifacts, effective.Caches.ToJson()) };
    }
}
