using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Agent.Contracts;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// What a job attempt downloads and uploads through the server, with the attempt's own credential (which stops working
/// when the attempt ends): the commit's tree, the artifacts of the jobs it needs, its cache, and its own artifacts and
/// cache (each upload's SHA-256 checked against the bytes received; kept aside in <see cref="IAttemptUploads"/> until the
/// attempt's end is recorded), all through the stores, so any replica serves them.
/// </summary>
public static class AgentTransfers
{
    public static void MapAgentTransfers(this IEndpointRouteBuilder app, RouteGroupBuilder group)
    {
        group.MapGet("/attempts/{id:long}/source.tar", SourceAsync).WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict);
        group.MapGet("/attempts/{id:long}/artifacts/{job}/{index:int}", ArtifactAsync)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        group.MapGet("/attempts/{id:long}/cache/{index:int}", CacheAsync)
            .WithProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        group.MapPut("/attempts/{id:long}/uploads/{kind}/{index:int}", UploadAsync)
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<IResult> SourceAsync(
        long id, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, SourceArchives sources, CancellationToken cancellationToken)
    {
        // The attempt and its run's commit and project as the coordinator saved them, or read in one query.
        var (found, problem) = await AttemptAccess.OfCredentialAsync(db, http, id, AttemptWithSource, current.FindWithSource, cancellationToken);
        if (found is null) return problem!;
        var run = found.Also;
        try
        {
            var path = await sources.PathOfAsync(run.Project, run.Repository, run.CommitSha, cancellationToken);
            return TypedResults.PhysicalFile(path, "application/x-tar", enableRangeProcessing: true);
        }
        catch (WorkspaceException e)
        {
            return Problems.Problem(StatusCodes.Status502BadGateway, "Repository unavailable", e.Message);
        }
    }

    private static readonly CompiledPerModel<Func<PipelinerDbContext, long, CancellationToken, Task<AttemptWith<AttemptSource>?>>> AttemptWithSource =
        AttemptAccess.CompileWithRow(a => new AttemptSource(a.Job!.Run!.CommitSha, a.Job.Run.Project!.Name, a.Job.Run.Project.Repository));

    private static async Task<IResult> ArtifactAsync(
        long id, string job, int index, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, RunStore store, IArtifactStore artifacts, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, current, http, id, cancellationToken);
        if (row is null) return problem!;
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (entity, run)) return Problems.NotFound($"no run {row.RunId}");
        // Scoped to the attempt: only the artifacts of jobs its job needs.
        if (!run.Upstream(run.Job(row.JobId)).Any(j => j.Id == job))
            return Problems.NotFound($"job '{row.JobId}' does not need a job '{job}' in run {row.RunId}");
        var listed = AgentDispatch.ArtifactsOf(entity.Jobs.First(j => j.JobId == job));
        if (index < 0 || index >= listed.Count) return Problems.NotFound($"job '{job}' has no artifact {index}");
        return await artifacts.OpenReadAsync(row.RunId, job, listed[index].File, cancellationToken) is { } content
            ? TypedResults.Stream(content, "application/x-tar")
            : Problems.NotFound($"the archive of artifact {index} of job '{job}' is gone");
    }

    private static async Task<IResult> CacheAsync(
        long id, int index, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, RunStore store, ICacheStore caches, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, current, http, id, cancellationToken);
        if (row is null) return problem!;
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (entity, run)) return Problems.NotFound($"no run {row.RunId}");
        if (run.Job(row.JobId).Planned.Spec.Cache is not { } cache) return Problems.NotFound($"job '{row.JobId}' has no cache");
        var scopes = RunCacheScopes.For(entity, entity.Project!.DefaultBranch);
        foreach (var scope in scopes.Restore)
        {
            if (await caches.ReadAsync(entity.Project.Name, scope, cache.Key, cancellationToken) is not { } entries) continue;
            var content = index >= 0 && index < entries.Count
                ? await caches.OpenReadAsync(entity.Project.Name, scope, cache.Key, entries[index].File, cancellationToken)
                : null;
            return content is null ? Problems.NotFound($"the cache '{cache.Key}' has no archive {index}") : TypedResults.Stream(content, "application/x-tar");
        }

        return Problems.NotFound($"no cache '{cache.Key}' in scopes {string.Join(", ", scopes.Restore)}");
    }

    /// <summary>
    /// Receives one archive, counted while it streams: at most <c>Pipeliner:Agent:MaxUploadBytes</c>, and at most what is
    /// left of the job's ceiling for its kind (<see cref="UploadCeiling"/>) beside the attempt's other uploads of that
    /// kind. Past either the server stops reading (Kestrel closes the connection) and answers 413 saying which limit;
    /// over the job's ceiling the attempt's uploads of that kind are removed too, so none of them can be stored.
    /// </summary>
    private static async Task<IResult> UploadAsync(
        long id, string kind, int index, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, RunStore store, IAttemptUploads uploads,
        UploadSweepSchedule sweep, IOptions<PipelinerOptions> options, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, current, http, id, cancellationToken);
        if (row is null) return problem!;
        if (kind is not ("artifacts" or "cache" or "reports")) return Problems.NotFound("uploads are artifacts, cache or reports");
        if (index is < 0 or >= 1000) return Problems.BadRequest("index: 0 to 999, the path's position in the job's list");
        var expected = http.Request.Headers[AgentRoutes.Sha256Header].ToString().ToLowerInvariant();
        if (expected.Length != 64 || !expected.All(Uri.IsHexDigit))
            return Problems.BadRequest($"{AgentRoutes.Sha256Header}: the archive's SHA-256, 64 hexadecimal digits");
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (_, run)) return Problems.NotFound($"no run {row.RunId}");

        var ceiling = UploadCeiling.Of(kind, run.Job(row.JobId).Planned.Spec.Resources);
        var maxUpload = options.Value.Agent.MaxUploadBytes;
        var left = ceiling is null
            ? long.MaxValue
            : Math.Max(0, ceiling.Limit.Bytes - await uploads.HeldBesidesAsync(row.Id, kind, index, cancellationToken));
        var max = Math.Min(maxUpload, left);
        async Task<IResult> TooLargeAsync()
        {
            if (left > maxUpload || ceiling is null)
                return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"an upload carries at most {maxUpload} bytes (Pipeliner:Agent:MaxUploadBytes)");
            // None of the kind is kept: the end can then only be recorded without them.
            await uploads.DeleteKindAsync(row.Id, kind, CancellationToken.None);
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", ceiling.Refusal);
        }

        if (http.Request.ContentLength > max) return await TooLargeAsync();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;

        // Before the first byte is stored: an upload cut off halfway leaves an orphan for the sweep too.
        sweep.Arm();
        string digest;
        try
        {
            digest = await uploads.SaveAsync(row.Id, kind, index, http.Request.Body, max, expected, cancellationToken);
        }
        catch (ArchiveTooLargeException)
        {
            return await TooLargeAsync();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The server refused to read more of the body (over MaxRequestBodySize); the store kept nothing of it.
            return await TooLargeAsync();
        }

        return digest == expected
            ? TypedResults.NoContent()
            : Problems.BadRequest($"the archive received has sha256 {digest[..12]}…, not the {expected[..12]}… sent in {AgentRoutes.Sha256Header}: send it again");
    }
}
