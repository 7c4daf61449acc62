using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Runs;

/// <summary>One finished attempt of a job, as a point of its trend.</summary>
/// <param name="DurationSeconds">From the attempt's start to its end.</param>
/// <param name="PeakMemoryBytes">The most memory its script used, as the engine sampled it; null when not measured.</param>
/// <param name="CpuTimeMs">CPU time (user + system) its script used; null when not measured.</param>
public sealed record JobTrendPoint(
    long RunId, int Number, string? Branch, int Attempt, string Status, DateTimeOffset StartedAt, double? DurationSeconds,
    long? PeakMemoryBytes, long? CpuTimeMs);

/// <summary>What the job may use, as its newest run in the trend planned it (the pipeline's or the server's defaults).</summary>
/// <param name="MemoryBytes">Its container's memory limit; null: unlimited.</param>
/// <param name="TimeoutSeconds">Its timeout.</param>
public sealed record JobTrendLimits(long? MemoryBytes, double TimeoutSeconds);

/// <param name="Points">Oldest first, so that a chart reads left to right.</param>
/// <param name="Limits">The limits the job ran under in the newest point's run; null without points.</param>
public sealed record JobTrendResponse(string Project, string Job, string? Branch, IReadOnlyList<JobTrendPoint> Points, JobTrendLimits? Limits);

/// <summary>
/// <c>GET /api/projects/{project}/jobs/{job}/trend?branch=&amp;limit=</c> (read): the duration, peak memory and CPU time of a
/// job's finished attempts over its most recent runs (<c>limit</c> attempts, 20 unless given, at most 100), with the
/// memory limit and timeout it runs under, so that a job that slowly grows is seen before it hits its limit.
/// </summary>
public static class JobTrendEndpoint
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static void MapJobTrend(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/projects/{project}/jobs").WithTags("Runs").WithAuthProblems()
            .MapGet("/{job}/trend", TrendAsync).RequireAuthorization(Policies.Read)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

    private static async Task<Results<Ok<JobTrendResponse>, ProblemHttpResult>> TrendAsync(
        string project, string job, string? branch, int? limit, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxLimit) return Problems.BadRequest($"limit is between 1 and {MaxLimit} attempts (default {DefaultLimit})");
        var projectId = await db.Projects.Where(p => p.Name == project).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken);
        if (projectId is null) return Problems.NotFound($"no project '{project}'");

        var runs = db.Runs.Where(r => r.ProjectId == projectId);
        if (branch is not null) runs = runs.Where(r => r.Branch == branch);
        var points = await (
                from run in runs
                join entity in db.Jobs on run.Id equals entity.RunId
                where entity.JobId == job
                from attempt in entity.Attempts
                where attempt.FinishedAt != null
                orderby run.Id descending, attempt.Number descending
                select new
                {
                    RunId = run.Id, RunNumber = run.Number, run.Branch, Attempt = attempt.Number, attempt.Status, attempt.StartedAt,
                    attempt.FinishedAt, attempt.PeakMemoryBytes, attempt.CpuTimeMs,
                })
            .Take(limit ?? DefaultLimit)
            .ToListAsync(cancellationToken);
        var limits = points.Count == 0 ? null : await LimitsAsync(db, points[0].RunId, job, cancellationToken);
        points.Reverse();
        return TypedResults.Ok(new JobTrendResponse(project, job, branch, points.Select(p => new JobTrendPoint(
            p.RunId, p.RunNumber, p.Branch, p.Attempt, p.Status, p.StartedAt, RunResponseMapping.Seconds(p.StartedAt, p.FinishedAt),
            p.PeakMemoryBytes, p.CpuTimeMs)).ToList(), limits));
    }

    /// <summary>The job's memory limit and timeout in the run's stored plan, so that a chart shows how close it comes.</summary>
    private static async Task<JobTrendLimits?> LimitsAsync(PipelinerDbContext db, long runId, string job, CancellationToken cancellationToken)
    {
        var json = await db.Runs.Where(r => r.Id == runId).Select(r => r.PlanJson).FirstOrDefaultAsync(cancellationToken);
        if (json is null) return null;
        var spec = PlanJson.DeserializeStored(json, runId).Jobs.FirstOrDefault(j => j.Id == job)?.Spec;
        return spec is null ? null : new JobTrendLimits(spec.Resources.Memory?.Bytes, spec.Timeout.TotalSeconds);
    }
}
