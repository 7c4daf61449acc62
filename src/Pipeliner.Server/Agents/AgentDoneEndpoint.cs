using Microsoft.AspNetCore.Http.HttpResults;
using Pipeliner.Agent.Contracts;
using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Runs;

using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Reports;

namespace Pipeliner.Server.Agents;

/// <summary>
/// <c>POST /api/agent/attempts/{id}/done</c>: the attempt's end, sent until acknowledged. It is recorded once the server
/// holds the whole log (else 422 saying how much it has) and, for a success, every archive the agent says it uploaded
/// (checked by digest, then stored as the job's artifacts and cache). Sent again after being recorded it changes nothing.
/// Asked for (<see cref="AttemptDone.WantsNext"/>), the answer carries the agent's next job, claimed by the same
/// <see cref="AgentDispatch.NextAsync"/> as <c>jobs/next</c> (without waiting): one call per job fewer.
/// </summary>
public static class AgentDoneEndpoint
{
    public static async Task<Results<JsonHttpResult<DoneAnswer>, ValidationProblem, ProblemHttpResult>> DoneAsync(
        long id, AttemptDone? done, HttpContext http, PipelinerDbContext db, CurrentAttemptRows current, ILogStore logs, AgentDispatch dispatch, RunStore store,
        DataLayout layout, IAttemptUploads uploads, IArtifactStore artifactStore, ICacheStore caches, ReportRecorder reports,
        IRunEvents events, LogMasking masking, CancellationToken cancellationToken)
    {
        var (row, problem) = await AttemptAccess.OfAgentAsync(db, current, http.Agent(), id, cancellationToken);
        if (row is null) return problem!;
        var errors = Validate(done);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var status = StatusNames.ParseJobStatus(done!.Status);
        // The log's last lines, stored as a log append at their offset would store them (a wrong offset stores nothing:
        // the check of the log's length below then says what is missing).
        if (done.LogTail is { Length: > 0 } tail && (row.Current || row.StoppingAfterCancel))
            await AgentProtocolEndpoints.AppendLinesAsync(row, done.LogTailOffset!.Value, tail, logs, events, masking, cancellationToken);
        if (!row.Current)
        {
            // Sent again after it was recorded (its answer was lost), or the end of an attempt the run's cancel stopped.
            if (row.Number == row.NewestNumber && (row.Status == done.Status && row.Cause != FailureCause.Lost.ToName() || row.StoppingAfterCancel))
                return await AnswerAsync(false, done, http, dispatch, cancellationToken);
            return row.Stale();
        }

        if (!await logs.CompleteAsync(row.Log, done.LogLength, cancellationToken))
        {
            // Read only for the answer: the whole log (the usual case) costs one read of its length, not two.
            var stored = await logs.LengthAsync(row.Log, cancellationToken);
            return Problems.Unprocessable($"the server holds {stored} bytes of the attempt's log, not {done.LogLength}: send the rest from offset {stored}");
        }

        var artifacts = new List<ArchivedPath>();
        string? refused = null;
        if (status == JobStatus.Succeeded && (done.Artifacts.Count > 0 || done.Cache.Count > 0))
        {
            if (await store.LoadAsync(row.RunId, cancellationToken) is not var (entity, run)) return Problems.NotFound($"no run {row.RunId}");
            var missing = await MissingUploadsAsync(uploads, row.Id, "artifacts", done.Artifacts, cancellationToken)
                          ?? await MissingUploadsAsync(uploads, row.Id, "cache", done.Cache, cancellationToken);
            if (missing is not null) return Problems.Unprocessable(missing);
            // The uploads were counted as they came; checked again together (uploads sent at once may each have fit).
            var spec = run.Job(row.JobId).Planned.Spec;
            var artifactsOver = Over(UploadCeiling.Of("artifacts", spec.Resources), done.Artifacts);
            var cacheOver = artifactsOver ?? Over(UploadCeiling.Of("cache", spec.Resources), done.Cache);
            if (artifactsOver is not null)
            {
                await logs.AppendNoteAsync(row.Log, "pipeliner: artifacts refused: " + artifactsOver.Refusal, cancellationToken);
                refused = artifactsOver.Message;
            }
            else if (cacheOver is not null)
                await logs.AppendNoteAsync(row.Log, "pipeliner: warning: cache not saved: " + cacheOver.Refusal, cancellationToken);

            try
            {
                if (done.Artifacts.Count > 0 && artifactsOver is null)
                {
                    var sources = await CheckedAsync(uploads, row.Id, "artifacts", done.Artifacts, cancellationToken);
                    artifacts.AddRange(await artifactStore.SaveAsync(row.RunId, row.JobId, sources, null, cancellationToken));
                }

                if (done.Cache.Count > 0 && artifactsOver is null && cacheOver is null && spec.Cache is { } cache)
                {
                    var scope = RunCacheScopes.For(entity, entity.Project!.DefaultBranch).Save;
                    await caches.SaveAsync(entity.Project.Name, scope, cache.Key, await CheckedAsync(uploads, row.Id, "cache", done.Cache, cancellationToken), cancellationToken);
                }
            }
            catch (InvalidDataException e)
            {
                return Problems.Unprocessable(e.Message);
            }
        }

        if (done.Reports is { Count: > 0 } uploadedReports)
        {
            var missing = await MissingUploadsAsync(uploads, row.Id, "reports", uploadedReports, cancellationToken);
            if (missing is not null) return Problems.Unprocessable(missing);
            try
            {
                // Read into rows by this replica at once (ReportRecorder), from its own data directory.
                var sources = await CheckedAsync(uploads, row.Id, "reports", uploadedReports, cancellationToken);
                await ArchiveFolder.WriteAsync(layout.Reports(RunStore.RunKey(row.RunId), row.JobId, row.Number), ArchiveSource.Tuples(sources), cancellationToken);
            }
            catch (InvalidDataException e)
            {
                return Problems.Unprocessable(e.Message);
            }

            // Stored before the end, which the commit status reports with the tests' counts.
            await reports.RecordAsync(row.Key, cancellationToken);
        }

        var outcome = refused is not null
            ? AttemptOutcome.Failed(null, refused, done.PeakMemoryBytes) with { CpuTimeMs = done.CpuTimeMs is >= 0 ? done.CpuTimeMs : null }
            : new AttemptOutcome(status, done.ExitCode, done.Message, done.PeakMemoryBytes,
                done.Cause == FailureCause.Configuration.ToName() ? FailureCause.Configuration : FailureCause.Job)
            {
                CpuTimeMs = done.CpuTimeMs is >= 0 ? done.CpuTimeMs : null,
            };
        var recorded = await dispatch.RecordDoneAsync(row.Key, outcome, artifacts, cancellationToken);
        await uploads.DeleteAsync(row.Id, CancellationToken.None);
        return recorded ? await AnswerAsync(true, done, http, dispatch, cancellationToken) : (await AttemptAccess.FindAsync(db, id, cancellationToken))!.Stale();
    }

    /// <summary>
    /// The answer, with the slot's next job when the agent asked for one: claimed only once the end is recorded (the slot
    /// is then free in the agent's count of running attempts), as <c>jobs/next</c> claims, and in its wire form.
    /// </summary>
    private static async Task<JsonHttpResult<DoneAnswer>> AnswerAsync(
        bool recorded, AttemptDone done, HttpContext http, AgentDispatch dispatch, CancellationToken cancellationToken)
    {
        if (!done.WantsNext) return TypedResults.Json(new DoneAnswer(recorded), AgentJson.Options);
        var agent = http.Agent();
        var claimed = await dispatch.NextAsync(agent.Name, TimeSpan.Zero, cancellationToken, agent.LastSeenAt);
        var next = claimed is null ? null : AgentProtocolEndpoints.WithSource(claimed.Assignment, http.RequestServices.GetRequiredService<SourceArchives>());
        return TypedResults.Json(new DoneAnswer(recorded, next), AgentJson.Options);
    }

    private static Dictionary<string, string[]> Validate(AttemptDone? done)
    {
        var errors = new Dictionary<string, string[]>();
        if (done is null) return new Dictionary<string, string[]> { ["body"] = ["the attempt's end as JSON"] };
        if (done.Status is not ("succeeded" or "failed" or "timed_out" or "canceled")) errors["status"] = ["succeeded, failed, timed_out or canceled"];
        if (done.Cause is not (null or "job" or "configuration")) errors["cause"] = ["job, configuration or null"];
        if (done.LogLength < 0) errors["logLength"] = ["the length of the attempt's whole log, 0 or more"];
        if (done.LogTail is { Length: > 0 } tail)
        {
            if (done.LogTailOffset is not >= 0) errors["logTailOffset"] = ["the byte offset of logTail in the attempt's log (0 or more)"];
            if (tail.Length > AgentRoutes.MaxDoneLogTailBytes || tail[^1] != (byte)'\n')
                errors["logTail"] = [$"whole lines (ending in a line feed), at most {AgentRoutes.MaxDoneLogTailBytes} bytes; more goes by the log's appends"];
        }
        foreach (var (name, list) in new[] { ("artifacts", done.Artifacts), ("cache", done.Cache), ("reports", done.Reports) })
        {
            if (list is null) continue;
            if (list.Any(a => string.IsNullOrWhiteSpace(a.Path) || a.Path.Split('/').Contains("..") || a.Path.StartsWith('/') || a.Sha256 is not { Length: 64 } || a.Size < 0) ||
                list.Select(a => a.Index).Distinct().Count() != list.Count || list.Any(a => a.Index is < 0 or >= 1000))
                errors[name] = ["each with a relative path (no '..'), a distinct index 0 to 999, its size and its SHA-256"];
        }

        if (done.Artifacts is null) errors["artifacts"] = ["a list (empty when the job saved none)"];
        if (done.Cache is null) errors["cache"] = ["a list (empty when the job saved none)"];
        return errors;
    }

    private static UploadCeiling? Over(UploadCeiling? ceiling, IReadOnlyList<UploadedArchive> archives) =>
        ceiling is not null && archives.Sum(a => a.Size) > ceiling.Limit.Bytes ? ceiling : null;

    private static async Task<string?> MissingUploadsAsync(
        IAttemptUploads uploads, long attemptId, string kind, IReadOnlyList<UploadedArchive> archives, CancellationToken cancellationToken)
    {
        foreach (var archive in archives)
        {
            var size = await uploads.SizeOfAsync(attemptId, kind, archive.Index, cancellationToken);
            if (size is null) return $"{kind} archive {archive.Index} ('{archive.Path}') was not uploaded: upload it, then send the end again";
            if (size != archive.Size) return $"{kind} archive {archive.Index} ('{archive.Path}') has {size} bytes on the server, not {archive.Size}: upload it again";
        }

        return null;
    }

    /// <summary>
    /// The uploads as archives to store, in order, each hashed again first (streamed, as it is kept) and matching the digest
    /// the agent sent: a bad archive leaves the stored artifacts and cache as they were.
    /// </summary>
    private static async Task<IReadOnlyList<ArchiveSource>> CheckedAsync(
        IAttemptUploads uploads, long attemptId, string kind, IReadOnlyList<UploadedArchive> archives, CancellationToken cancellationToken)
    {
        var ordered = archives.OrderBy(a => a.Index).ToList();
        foreach (var archive in ordered)
        {
            await using var staged = await uploads.OpenReadAsync(attemptId, kind, archive.Index, cancellationToken)
                                     ?? throw new InvalidDataException($"{kind} archive {archive.Index} ('{archive.Path}') was not uploaded: upload it again");
            var digest = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(staged, cancellationToken));
            if (!string.Equals(digest, archive.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"{kind} archive {archive.Index} ('{archive.Path}') has sha256 {digest[..12]}… on the server, not {archive.Sha256[..12]}…: upload it again");
        }

        return ordered.Select(a => new ArchiveSource(a.Path, token => uploads.OpenReadAsync(attemptId, kind, a.Index, token))).ToList();
    }
}
