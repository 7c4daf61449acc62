using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Retention;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Logs;

/// <summary>Job logs (plain text, from a byte offset, for tailing), the live event stream, and artifacts.</summary>
public static class LogEndpoints
{
    private const int MaxChunkBytes = 8 * 1024 * 1024;

    public static void MapLogs(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Logs").WithAuthProblems();
        runs.MapGet("/jobs/{job}/log", GetLogAsync).RequireAuthorization(Policies.Read)
            .Produces(StatusCodes.Status200OK, contentType: "text/plain")
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status410Gone);
        runs.MapGet("/events", RunEventStream.StreamAsync).RequireAuthorization(Policies.Read)
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").WithProblems(StatusCodes.Status404NotFound);
        runs.MapGet("/artifacts", ListArtifactsAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status410Gone);
        runs.MapGet("/artifacts/{name}", GetArtifactAsync).RequireAuthorization(Policies.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar").WithProblems(StatusCodes.Status404NotFound, StatusCodes.Status410Gone);
    }

    /// <summary>
    /// The stored log of an attempt (default: the newest) from <paramref name="offset"/>, at most 8 MiB per answer,
    /// masked (<see cref="LogMasking"/>: the same bytes, secrets overwritten by <c>*</c>).
    /// <c>X-Next-Offset</c> says where to continue; <c>X-Log-Complete</c> whether the attempt has ended and its agent wrote the last line.
    /// </summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetLogAsync(
        long id, string job, int? attempt, long? offset, PipelinerDbContext db, ILogStore logs, ActiveAttempts active,
        LogMasking masking, HttpContext http, CancellationToken cancellationToken)
    {
        if (offset is < 0) return Problems.BadRequest("offset is a byte position, 0 or more");
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Logs, cancellationToken) is { } gone) return gone;
        var attempts = await db.Attempts.AsNoTracking()
            .Where(a => a.Job!.RunId == id && a.Job.JobId == job)
            .OrderBy(a => a.Number)
            .ToListAsync(cancellationToken);
        if (attempts.Count == 0)
        {
            var jobExists = await db.Jobs.AnyAsync(j => j.RunId == id && j.JobId == job, cancellationToken);
            return Problems.NotFound(jobExists ? $"job '{job}' has not started yet" : $"run {id} has no job '{job}'");
        }

        var chosen = attempt is { } number ? attempts.FirstOrDefault(a => a.Number == number) : attempts[^1];
        if (chosen is null) return Problems.NotFound($"job '{job}' has no attempt {attempt}");

        var stream = logs.OpenRead(LogRef.Of(id, job, chosen));
        var start = Math.Min(offset ?? 0, stream.Length);
        var length = Math.Min(stream.Length - start, MaxChunkBytes);
        http.Response.Headers["X-Next-Offset"] = (start + length).ToString(CultureInfo.InvariantCulture);
        var final = chosen.FinishedAt is not null && !active.Contains(new AttemptKey(id, job, chosen.Number));
        http.Response.Headers["X-Log-Complete"] = final && start + length >= stream.Length ? "true" : "false";
        http.Response.Headers["X-Attempt"] = chosen.Number.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Stream(await masking.OpenAsync(id, stream, start, length, cancellationToken), "text/plain; charset=utf-8");
    }

    private static async Task<Results<Ok<List<ArtifactResponse>>, ProblemHttpResult>> ListArtifactsAsync(
        long id, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound($"no run {id}");
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Artifacts, cancellationToken) is { } gone) return gone;
        var artifacts = await ArtifactsOfAsync(db, id, cancellationToken);
        return TypedResults.Ok(artifacts
            .Select(a => new ArtifactResponse(ArtifactName(a.JobId, a.File), a.JobId, a.Path, a.Size, a.Sha256))
            .ToList());
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetArtifactAsync(
        long id, string name, PipelinerDbContext db, IArtifactStore store, CancellationToken cancellationToken)
    {
        if (await ExpiredParts.GoneAsync(db, id, RetentionPart.Artifacts, cancellationToken) is { } gone) return gone;
        var artifacts = await ArtifactsOfAsync(db, id, cancellationToken);
        var matches = artifacts.Where(a => ArtifactName(a.JobId, a.File) == name).ToList();
        if (matches.Count == 0) return Problems.NotFound($"run {id} has no artifact '{name}'");
        var artifact = matches[0];
        var content = await store.OpenReadAsync(id, artifact.JobId, artifact.File, cancellationToken);
        if (content is null) return Problems.NotFound($"artifact '{name}' of run {id} was removed from the store");
        return TypedResults.Stream(content, "application/x-tar", name);
    }

    private static async Task<List<(string JobId, string Path, string File, long Size, string Sha256)>> ArtifactsOfAsync(
        PipelinerDbContext db, long runId, CancellationToken cancellationToken)
    {
        var rows = await (from job in db.Jobs.AsNoTracking()
                          join artifact in db.Artifacts.AsNoTracking() on job.Id equals artifact.JobId
                          where job.RunId == runId
                          orderby job.Position, artifact.File
                          select new { job.JobId, artifact.Path, artifact.File, artifact.Size, artifact.Sha256 })
            .ToListAsync(cancellationToken);
        return rows.Select(r => (r.JobId, r.Path, r.File, r.Size, r.Sha256)).ToList();
    }

    /// <summary>A stable, URL-friendly name: the job's file-system slug and the archive's file name.</summary>
    private static string ArtifactName(string jobId, string file) => $"{PathSlug.For(jobId)}-{file}";
}

public sealed record ArtifactResponse(string Name, string Job, string Path, long Size, string Sha256);
