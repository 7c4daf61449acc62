using Microsoft.EntityFrameworkCore;
using Pipeliner.Engine.Reports;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Reports;

/// <summary>
/// Stores what a job attempt's report files say (<c>runs/{run}/reports/{job}/{attempt}</c>, written in place by the
/// embedded agent or from a remote agent's upload) as rows, before the attempt's end is recorded, so that the run's
/// commit status can already count its tests. Read again here from the files, never from what an agent says of them.
/// A file that cannot be read is a problem on the row (and a line in the job's log), never a failed request.
/// </summary>
public sealed class ReportRecorder(IServiceScopeFactory scopes, DataLayout layout, TimeProvider time, ILogger<ReportRecorder> logger)
{
    private const int MaxProblemsChars = 4_000;

    public ReportLimits Limits { get; } = ReportLimits.Default;

    public async Task RecordAsync(AttemptKey key, CancellationToken cancellationToken)
    {
        var directory = layout.Reports(RunStore.RunKey(key.RunId), key.JobId, key.Attempt);
        if (!new ArchiveFolder(directory).Exists) return;
        JobReports reports;
        try
        {
            reports = JobReports.Of(await ReportArchive.ReadAsync(directory, Limits, cancellationToken), Limits);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "The reports of job {Job} of run {Run} (attempt {Attempt}) cannot be read", key.JobId, key.RunId, key.Attempt);
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        // An end sent again (its answer was lost) stores the same rows again, once.
        await db.Reports.Where(r => r.RunId == key.RunId && r.JobId == key.JobId && r.Attempt == key.Attempt).ExecuteDeleteAsync(cancellationToken);
        var tests = reports.Tests;
        var findings = reports.Findings;
        var problems = string.Join('\n', reports.Problems);
        db.Reports.Add(new ReportEntity
        {
            RunId = key.RunId,
            JobId = key.JobId,
            Attempt = key.Attempt,
            TestsTotal = tests?.Total,
            TestsFailed = tests?.Failed,
            TestsErrored = tests?.Errored,
            TestsSkipped = tests?.Skipped,
            TestsDurationMs = tests is null ? null : (long)tests.Duration.TotalMilliseconds,
            FindingErrors = findings?.Counts.Errors,
            FindingWarnings = findings?.Counts.Warnings,
            FindingNotes = findings?.Counts.Notes,
            Problems = problems.Length == 0 ? null : problems.Length <= MaxProblemsChars ? problems : problems[..(MaxProblemsChars - 1)] + "…",
            CreatedAt = time.GetUtcNow(),
            Failures = tests?.Failures.Select(f => new ReportFailureEntity
            {
                Name = f.Name, ClassName = f.ClassName, Message = f.Message, StackTrace = f.StackTrace, Errored = f.Errored,
            }).ToList() ?? [],
            Findings = findings?.Findings.Select(f => new ReportFindingEntity
            {
                Severity = f.Severity, Rule = f.Rule, Message = f.Message, Path = f.Path, Line = f.Line, Column = f.Column, Tool = f.Tool,
            }).ToList() ?? [],
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (DatabaseErrors.IsUniqueViolation(e))
        {
            // The same end, recorded by a concurrent request: its rows are the same.
        }
    }
}
