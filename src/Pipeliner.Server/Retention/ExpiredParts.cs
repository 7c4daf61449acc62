using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Retention;

/// <summary>A part of a run that retention removed: when, the rule, and the sentence reads of it answer with.</summary>
public sealed record ExpiredPartResponse(DateTimeOffset ExpiredAt, string Reason, string Message);

/// <summary>Which parts of a run expired (null: that part is kept).</summary>
public sealed record RunExpiredResponse(ExpiredPartResponse? Logs, ExpiredPartResponse? Artifacts);

/// <summary>
/// What the log and artifact reads answer for a run whose part retention removed: 410 with one sentence, "the log of run
/// 42 expired on 2026-12-01; the project keeps 30 days", made here for every endpoint and the run's response alike.
/// </summary>
public static class ExpiredParts
{
    public static string Message(RetentionPart part, long runId, DateTimeOffset at, string? reason) =>
        string.Create(CultureInfo.InvariantCulture,
            $"the {(part == RetentionPart.Logs ? "log" : "artifacts")} of run {runId} expired on {at.UtcDateTime:yyyy-MM-dd}; {reason ?? "retention removed it"}");

    public static RunExpiredResponse? Of(RunEntity run)
    {
        if (run.LogsExpiredAt is null && run.ArtifactsExpiredAt is null) return null;
        return new RunExpiredResponse(
            run.LogsExpiredAt is { } logs ? new ExpiredPartResponse(logs, run.LogsExpiry ?? "", Message(RetentionPart.Logs, run.Id, logs, run.LogsExpiry)) : null,
            run.ArtifactsExpiredAt is { } artifacts
                ? new ExpiredPartResponse(artifacts, run.ArtifactsExpiry ?? "", Message(RetentionPart.Artifacts, run.Id, artifacts, run.ArtifactsExpiry))
                : null);
    }

    /// <summary>
    /// 409 when a part of the run expired: its jobs cannot run again (a retry, an approval, a promotion or a redeploy would
    /// start a job without the artifacts it needs, or write a log nobody may read); null when nothing expired.
    /// </summary>
    public static async Task<ProblemHttpResult?> NoMoreJobsAsync(PipelinerDbContext db, long runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.LogsExpiredAt, r.LogsExpiry, r.ArtifactsExpiredAt, r.ArtifactsExpiry }).FirstOrDefaultAsync(cancellationToken);
        var why = run?.ArtifactsExpiredAt is { } artifacts ? Message(RetentionPart.Artifacts, runId, artifacts, run.ArtifactsExpiry)
            : run?.LogsExpiredAt is { } logs ? Message(RetentionPart.Logs, runId, logs, run.LogsExpiry)
            : null;
        return why is null ? null : Problems.Conflict($"{why}: its jobs cannot run again (pin the runs you may still retry or promote)");
    }

    /// <summary>410 when the run's <paramref name="part"/> expired; null when it is kept (or there is no such run: the caller says 404).</summary>
    public static async Task<ProblemHttpResult?> GoneAsync(PipelinerDbContext db, long runId, RetentionPart part, CancellationToken cancellationToken)
    {
        var expired = part == RetentionPart.Logs
            ? await db.Runs.AsNoTracking().Where(r => r.Id == runId && r.LogsExpiredAt != null)
                .Select(r => new { At = r.LogsExpiredAt!.Value, Reason = r.LogsExpiry }).FirstOrDefaultAsync(cancellationToken)
            : await db.Runs.AsNoTracking().Where(r => r.Id == runId && r.ArtifactsExpiredAt != null)
                .Select(r => new { At = r.ArtifactsExpiredAt!.Value, Reason = r.ArtifactsExpiry }).FirstOrDefaultAsync(cancellationToken);
        return expired is null ? null : Problems.Gone(Message(part, runId, expired.At, expired.Reason));
    }
}
