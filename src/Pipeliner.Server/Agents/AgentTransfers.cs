using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Agent.Contracts;
using Pipeliner.Engine.Storage;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Agents;

/// <summary>
/// What a job attempt downloads and uploads through the server, with the attempt's own credential (which stops working
/// when the attempt ends): the commit's tree, the artifacts of the jobs it needs, its cache, and its own artifacts and
/// cache (each upload's SHA-256 checked against the bytes received; kept aside until the attempt's end is recorded).
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

    /// <summary>Where an attempt's uploads wait for its end: <c>uploads/{attempt}/{artifacts|cache|reports}/{index}.tar</c>.</summary>
    public static string Upload(DataLayout layout, long attemptId, string kind, int index) =>
        Path.Combine(UploadsOf(layout, attemptId), kind, index.ToString(CultureInfo.InvariantCulture) + ".tar");

    public static string UploadsOf(DataLayout layout, long attemptId) =>
        Path.Combine(layout.Root, "uploads", attemptId.ToString(CultureInfo.InvariantCulture));

    private static async Task<IResult> SourceAsync(
        long id, HttpContext http, PipelinerDbContext db, SourceArchives sources, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, http, id, cancellationToken);
        if (row is null) return problem!;
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == row.RunId)
            .Select(r => new { r.CommitSha, r.Project!.Name, r.Project.Repository }).FirstAsync(cancellationToken);
        try
        {
            var path = await sources.PathOfAsync(run.Name, run.Repository, run.CommitSha, cancellationToken);
            return TypedResults.PhysicalFile(path, "application/x-tar", enableRangeProcessing: true);
        }
        catch (WorkspaceException e)
        {
            return Problems.Problem(StatusCodes.Status502BadGateway, "Repository unavailable", e.Message);
        }
    }

    private static async Task<IResult> ArtifactAsync(
        long id, string job, int index, HttpContext http, PipelinerDbContext db, RunStore store, DataLayout layout, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, http, id, cancellationToken);
        if (row is null) return problem!;
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (entity, run)) return Problems.NotFound($"no run {row.RunId}");
        // Scoped to the attempt: only the artifacts of jobs its job needs.
        if (!run.Upstream(run.Job(row.JobId)).Any(j => j.Id == job))
            return Problems.NotFound($"job '{row.JobId}' does not need a job '{job}' in run {row.RunId}");
        var artifacts = AgentDispatch.ArtifactsOf(entity.Jobs.First(j => j.JobId == job));
        if (index < 0 || index >= artifacts.Count) return Problems.NotFound($"job '{job}' has no artifact {index}");
        var file = Path.Combine(layout.Artifacts(RunStore.RunKey(row.RunId), job), artifacts[index].File);
        return File.Exists(file) ? TypedResults.PhysicalFile(file, "application/x-tar") : Problems.NotFound($"the archive of artifact {index} of job '{job}' is gone");
    }

    private static async Task<IResult> CacheAsync(
        long id, int index, HttpContext http, PipelinerDbContext db, RunStore store, DataLayout layout, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, http, id, cancellationToken);
        if (row is null) return problem!;
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (entity, run)) return Problems.NotFound($"no run {row.RunId}");
        if (run.Job(row.JobId).Planned.Spec.Cache is not { } cache) return Problems.NotFound($"job '{row.JobId}' has no cache");
        var scopes = RunCacheScopes.For(entity, entity.Project!.DefaultBranch);
        foreach (var scope in scopes.Restore)
        {
            var folder = new ArchiveFolder(layout.Cache(entity.Project.Name, scope, cache.Key));
            if (!folder.Exists) continue;
            var entries = folder.Read();
            return index >= 0 && index < entries.Count
                ? TypedResults.PhysicalFile(Path.Combine(folder.Directory, entries[index].File), "application/x-tar")
                : Problems.NotFound($"the cache '{cache.Key}' has no archive {index}");
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
        long id, string kind, int index, HttpContext http, PipelinerDbContext db, DataLayout layout, RunStore store,
        IOptions<PipelinerOptions> options, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfCredentialAsync(db, http, id, cancellationToken);
        if (row is null) return problem!;
        if (kind is not ("artifacts" or "cache" or "reports")) return Problems.NotFound("uploads are artifacts, cache or reports");
        if (index is < 0 or >= 1000) return Problems.BadRequest("index: 0 to 999, the path's position in the job's list");
        var expected = http.Request.Headers[AgentRoutes.Sha256Header].ToString().ToLowerInvariant();
        if (expected.Length != 64 || !expected.All(Uri.IsHexDigit))
            return Problems.BadRequest($"{AgentRoutes.Sha256Header}: the archive's SHA-256, 64 hexadecimal digits");
        if (await store.LoadAsync(row.RunId, cancellationToken) is not var (_, run)) return Problems.NotFound($"no run {row.RunId}");

        var target = Upload(layout, row.Id, kind, index);
        var kindDirectory = Path.GetDirectoryName(target)!;
        var ceiling = UploadCeiling.Of(kind, run.Job(row.JobId).Planned.Spec.Resources);
        var maxUpload = options.Value.Agent.MaxUploadBytes;
        var left = ceiling is null ? long.MaxValue : Math.Max(0, ceiling.Limit.Bytes - UploadCeiling.HeldBesides(kindDirectory, index));
        var max = Math.Min(maxUpload, left);
        IResult TooLarge()
        {
            if (left > maxUpload || ceiling is null)
                return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"an upload carries at most {maxUpload} bytes (Pipeliner:Agent:MaxUploadBytes)");
            // None of the kind is kept: the end can then only be recorded without them.
            if (Directory.Exists(kindDirectory)) Directory.Delete(kindDirectory, recursive: true);
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", ceiling.Refusal);
        }

        if (http.Request.ContentLength > max) return TooLarge();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;

        Directory.CreateDirectory(kindDirectory);
        var partial = target + "." + Guid.NewGuid().ToString("N")[..8] + ".partial";
        try
        {
            string digest;
            await using (var file = File.Create(partial))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await ReadAsync(http.Request.Body, buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > max) return TooLarge();
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                if (read < 0) return TooLarge();
                digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            if (digest != expected)
                return Problems.BadRequest($"the archive received has sha256 {digest[..12]}…, not the {expected[..12]}… sent in {AgentRoutes.Sha256Header}: send it again");
            File.Move(partial, target, overwrite: true);
            return TypedResults.NoContent();
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>A read of the body; -1 when the server refused to read more of it (over <c>MaxRequestBodySize</c>).</summary>
    private static async Task<int> ReadAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return -1;
        }
    }
}
