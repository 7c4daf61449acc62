using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Usage;

/// <summary>Disk a project takes, in bytes as stored (compressed logs count compressed).</summary>
public sealed record ProjectUsage(string Project, long LogBytes, long ArtifactBytes, long CacheBytes);

public sealed record UsageResponse(IReadOnlyList<ProjectUsage> Projects, long LogBytes, long ArtifactBytes, long CacheBytes);

/// <summary><c>GET /api/usage</c> (admin): bytes of logs, artifacts and caches per project, measured on disk.</summary>
public static class UsageEndpoints
{
    public static void MapUsage(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/usage").WithTags("Usage").WithAuthProblems().RequireAuthorization(Policies.Admin).MapGet("", GetAsync);

    private static async Task<Microsoft.AspNetCore.Http.HttpResults.Ok<UsageResponse>> GetAsync(
        PipelinerDbContext db, DataLayout layout, CancellationToken cancellationToken)
    {
        var projects = await db.Projects.AsNoTracking().OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking().Select(r => new { r.Id, r.ProjectId }).ToListAsync(cancellationToken);
        var logs = new Dictionary<int, long>();
        var artifacts = new Dictionary<int, long>();
        foreach (var run in runs)
        {
            var directory = layout.RunDirectory(RunStore.RunKey(run.Id));
            logs[run.ProjectId] = logs.GetValueOrDefault(run.ProjectId) + Bytes(Path.Combine(directory, "logs"));
            artifacts[run.ProjectId] = artifacts.GetValueOrDefault(run.ProjectId) + Bytes(Path.Combine(directory, "artifacts"));
        }

        var usage = projects.Select(p => new ProjectUsage(p.Name, logs.GetValueOrDefault(p.Id), artifacts.GetValueOrDefault(p.Id),
            Bytes(Path.Combine(layout.Root, "cache", PathSlug.For(p.Name))))).ToList();
        return TypedResults.Ok(new UsageResponse(usage, usage.Sum(u => u.LogBytes), usage.Sum(u => u.ArtifactBytes), usage.Sum(u => u.CacheBytes)));
    }

    private static long Bytes(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        long total = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            try
            {
                total += file.Length;
            }
            catch (FileNotFoundException)
            {
                // Removed while counting (a log compressed, a cache replaced).
            }
        }

        return total;
    }
}
