using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Usage;

/// <summary>Disk a project takes, in bytes as stored (compressed logs count compressed).</summary>
public sealed record ProjectUsage(string Project, long LogBytes, long ArtifactBytes, long CacheBytes);

public sealed record UsageResponse(IReadOnlyList<ProjectUsage> Projects, long LogBytes, long ArtifactBytes, long CacheBytes);

/// <summary>
/// <c>GET /api/usage</c> (admin): bytes of logs, artifacts and caches per project, as the stores hold them (files in the
/// data directory, or rows in the database with <c>Pipeliner:Storage:Provider=database</c>), as retention measures them.
/// </summary>
public static class UsageEndpoints
{
    public static void MapUsage(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/usage").WithTags("Usage").WithAuthProblems().RequireAuthorization(Policies.Admin).MapGet("", GetAsync);

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<UsageResponse>> GetAsync(
        PipelinerDbContext db, ILogStore logs, IArtifactStore artifacts, ICacheStore caches, CancellationToken cancellationToken)
    {
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking().Select(r => new { r.Id, r.ProjectId }).ToListAsync(cancellationToken);
        var attempts = (await db.Attempts.AsNoTracking().Select(a => new { a.Job!.RunId, a.Job.JobId, a.Number, a.LogPath }).ToListAsync(cancellationToken))
            .ToLookup(a => a.RunId, a => new LogRef(a.RunId, a.JobId, a.Number, a.LogPath));
        var logBytes = new Dictionary<int, long>();
        var artifactBytes = new Dictionary<int, long>();
        foreach (var run in runs)
        {
            logBytes[run.ProjectId] = logBytes.GetValueOrDefault(run.ProjectId) + attempts[run.Id].Sum(logs.StoredBytes);
            artifactBytes[run.ProjectId] = artifactBytes.GetValueOrDefault(run.ProjectId) + await artifacts.SizeOfAsync(run.Id, cancellationToken);
        }

        var usage = new List<ProjectUsage>();
        foreach (var project in projects)
        {
            var cacheBytes = (await caches.ListAsync(project.Name, cancellationToken)).Sum(c => c.Bytes);
            usage.Add(new ProjectUsage(project.Name, logBytes.GetValueOrDefault(project.Id), artifactBytes.GetValueOrDefault(project.Id), cacheBytes));
        }

        return TypedResults.Ok(new UsageResponse(usage, usage.Sum(u => u.LogBytes), usage.Sum(u => u.ArtifactBytes), usage.Sum(u => u.CacheBytes)));
    }
}
