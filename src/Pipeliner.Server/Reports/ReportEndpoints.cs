using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Data;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Reports;

/// <summary>
/// The test and static analysis reports of a run: <c>GET /api/runs/{id}/tests</c>, <c>/jobs/{job}/tests</c>,
/// <c>/findings</c> and <c>/reports/comparison</c> (against the newest finished run of the target branch). Readers.
/// </summary>
public static class ReportEndpoints
{
    public static void MapReports(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs/{id:long}").WithTags("Reports").WithAuthProblems();
        runs.MapGet("/tests", TestsAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        runs.MapGet("/jobs/{job}/tests", JobTestsAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        runs.MapGet("/findings", FindingsAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
        runs.MapGet("/reports/comparison", ComparisonAsync).RequireAuthorization(Policies.Read).WithProblems(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<RunTestsResponse>, ProblemHttpResult>> TestsAsync(long id, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound($"no run {id}");
        return TypedResults.Ok(RunReportReader.Tests(await RunReportReader.LatestPerJobAsync(db, id, failures: true, findings: false, cancellationToken)));
    }

    private static async Task<Results<Ok<JobTestReportResponse>, ProblemHttpResult>> JobTestsAsync(
        long id, string job, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound($"no run {id}");
        var row = await db.Reports.AsNoTracking().Where(r => r.RunId == id && r.JobId == job).OrderByDescending(r => r.Id)
            .Include(r => r.Failures.OrderBy(f => f.Id)).FirstOrDefaultAsync(cancellationToken);
        if (row is null) return Problems.NotFound($"job '{job}' of run {id} has no report");
        return TypedResults.Ok(new JobTestReportResponse(row.JobId, row.Attempt, row.TestsTotal ?? 0, row.TestsFailed ?? 0, row.TestsErrored ?? 0,
            row.TestsSkipped ?? 0, row.TestsDurationMs ?? 0, row.Problems?.Split('\n') ?? [],
            row.Failures.Select(f => new TestFailureDetailResponse(f.Name, f.ClassName, f.Message, f.StackTrace, f.Errored)).ToList()));
    }

    private static async Task<Results<Ok<RunFindingsResponse>, ProblemHttpResult>> FindingsAsync(long id, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound($"no run {id}");
        return TypedResults.Ok(RunReportReader.Findings(await RunReportReader.LatestPerJobAsync(db, id, failures: false, findings: true, cancellationToken)));
    }

    private static async Task<Results<Ok<ReportComparisonResponse>, ProblemHttpResult>> ComparisonAsync(
        long id, PipelinerDbContext db, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.ProjectId, r.Branch }).FirstOrDefaultAsync(cancellationToken);
        if (run is null) return Problems.NotFound($"no run {id}");
        string[] finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];
        var baseRun = run.Branch is null
            ? null
            : await db.Runs.AsNoTracking()
                .Where(r => r.ProjectId == run.ProjectId && r.Branch == run.Branch && r.PullRequestNumber == null && r.Id != id && finished.Contains(r.Status))
                .OrderByDescending(r => r.Id).Select(r => new BaseRunResponse(r.Id, r.Number, r.Branch!, r.Status)).FirstOrDefaultAsync(cancellationToken);
        var current = await RunReportReader.LatestPerJobAsync(db, id, failures: true, findings: true, cancellationToken);
        var before = baseRun is null ? [] : await RunReportReader.LatestPerJobAsync(db, baseRun.Id, failures: true, findings: true, cancellationToken);

        var failingBefore = before.SelectMany(r => r.Failures.Select(f => (r.JobId, f.ClassName, f.Name))).ToHashSet();
        var failures = current.SelectMany(r => r.Failures.Select(f => new ComparedFailureResponse(r.JobId, f.Name, f.ClassName, f.Message))).ToList();
        // A finding moves with the lines around it: it is the same one when its rule, file and message are.
        var foundBefore = before.SelectMany(r => r.Findings.Select(f => (f.Rule, f.Path, f.Message))).ToHashSet();
        var findings = current.SelectMany(r => r.Findings.Select(f => (Key: (f.Rule, f.Path, f.Message),
            Response: new ComparedFindingResponse(r.JobId, f.Severity, f.Rule, f.Message, f.Path, f.Line)))).ToList();
        return TypedResults.Ok(new ReportComparisonResponse(
            baseRun,
            failures.Where(f => !failingBefore.Contains((f.Job, f.ClassName, f.Name))).ToList(),
            failures.Where(f => failingBefore.Contains((f.Job, f.ClassName, f.Name))).ToList(),
            findings.Where(f => !foundBefore.Contains(f.Key)).Select(f => f.Response).ToList(),
            findings.Count(f => foundBefore.Contains(f.Key))));
    }
}
