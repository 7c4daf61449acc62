using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Reports;

/// <summary>The reports of a run as its pages and its commit status read them: per job, its newest attempt that had reports.</summary>
public static class RunReportReader
{
    /// <summary>Each job's newest report row, in the run's job order.</summary>
    public static async Task<List<ReportEntity>> LatestPerJobAsync(
        PipelinerDbContext db, long runId, bool failures, bool findings, CancellationToken cancellationToken)
    {
        var ids = await db.Reports.Where(r => r.RunId == runId).GroupBy(r => r.JobId).Select(g => g.Max(r => r.Id)).ToListAsync(cancellationToken);
        if (ids.Count == 0) return [];
        IQueryable<ReportEntity> query = db.Reports.AsNoTracking().Where(r => ids.Contains(r.Id));
        if (failures) query = query.Include(r => r.Failures.OrderBy(f => f.Id));
        if (findings) query = query.Include(r => r.Findings.OrderBy(f => f.Id));
        var rows = await query.AsSplitQuery().ToListAsync(cancellationToken);
        var positions = await db.Jobs.AsNoTracking().Where(j => j.RunId == runId).ToDictionaryAsync(j => j.JobId, j => j.Position, cancellationToken);
        return rows.OrderBy(r => positions.GetValueOrDefault(r.JobId, int.MaxValue)).ThenBy(r => r.JobId, StringComparer.Ordinal).ToList();
    }

    public static RunTestsResponse Tests(IReadOnlyList<ReportEntity> rows)
    {
        var jobs = rows.Where(r => r.TestsTotal is not null)
            .Select(r => new JobTestsResponse(r.JobId, r.TestsTotal!.Value, r.TestsFailed ?? 0, r.TestsErrored ?? 0, r.TestsSkipped ?? 0,
                r.Failures.Select(f => new TestFailureResponse(f.Name, f.ClassName, f.Message)).ToList()))
            .ToList();
        return new RunTestsResponse(jobs.Sum(j => j.Total), jobs.Sum(j => j.Failed), jobs.Sum(j => j.Errored), jobs.Sum(j => j.Skipped), jobs);
    }

    public static RunFindingsResponse Findings(IReadOnlyList<ReportEntity> rows)
    {
        var jobs = rows.Where(r => r.FindingErrors is not null)
            .Select(r => new JobFindingsResponse(r.JobId, r.FindingErrors!.Value, r.FindingWarnings ?? 0, r.FindingNotes ?? 0,
                r.Findings.Select(f => new FindingResponse(f.Severity, f.Rule, f.Message, f.Path, f.Line, f.Column, f.Tool)).ToList()))
            .ToList();
        return new RunFindingsResponse(jobs.Sum(j => j.Errors), jobs.Sum(j => j.Warnings), jobs.Sum(j => j.Notes), jobs);
    }

    /// <summary>"3 of 412 tests failed", "412 tests passed"; null without any test report. Errored tests count as failed.</summary>
    public static string? Describe(int total, int failing) => (total, failing) switch
    {
        (0, _) => null,
        (_, 0) => total == 1 ? "1 test passed" : $"{total} tests passed",
        _ => $"{failing} of {total} {(total == 1 ? "test" : "tests")} failed",
    };

    /// <summary>Each job's tests (newest attempt with a test report) as total and failing (failed or errored), for commit statuses.</summary>
    public static async Task<Dictionary<string, (int Total, int Failing)>> CountsPerJobAsync(
        PipelinerDbContext db, long runId, CancellationToken cancellationToken)
    {
        var latest = db.Reports.Where(r => r.RunId == runId && r.TestsTotal != null).GroupBy(r => r.JobId).Select(g => g.Max(r => r.Id));
        var rows = await db.Reports.AsNoTracking().Where(r => latest.Contains(r.Id))
            .Select(r => new { r.JobId, Total = r.TestsTotal ?? 0, Failing = (r.TestsFailed ?? 0) + (r.TestsErrored ?? 0) })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.JobId, r => (r.Total, r.Failing), StringComparer.Ordinal);
    }
}
