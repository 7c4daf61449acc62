namespace Pipeliner.Server.Reports;

/// <summary>A failing test as <c>GET /api/runs/{id}/tests</c> lists it.</summary>
public sealed record TestFailureResponse(string Name, string ClassName, string Message);

/// <summary>One job's tests (its newest attempt with a test report).</summary>
public sealed record JobTestsResponse(string Job, int Total, int Failed, int Errored, int Skipped, IReadOnlyList<TestFailureResponse> Failures);

/// <summary><c>GET /api/runs/{id}/tests</c>: the run's tests, summed over its jobs, and each job's.</summary>
public sealed record RunTestsResponse(int Total, int Failed, int Errored, int Skipped, IReadOnlyList<JobTestsResponse> Jobs);

/// <summary>A failing test with its bounded stack trace; <paramref name="Errored"/>: the test errored rather than failed.</summary>
public sealed record TestFailureDetailResponse(string Name, string ClassName, string Message, string StackTrace, bool Errored);

/// <summary>
/// <c>GET /api/runs/{id}/jobs/{job}/tests</c>: one job's test report in full (its newest attempt with reports): the
/// duration, the failing tests with their stack traces, and the report files left out and why.
/// </summary>
public sealed record JobTestReportResponse(
    string Job, int Attempt, int Total, int Failed, int Errored, int Skipped, long DurationMs,
    IReadOnlyList<string> Problems, IReadOnlyList<TestFailureDetailResponse> Failures);

/// <summary>A static analysis finding; the location is unknown when the tool gave none.</summary>
public sealed record FindingResponse(string Severity, string Rule, string Message, string? Path, int? Line, int? Column, string Tool);

/// <summary>One job's findings by severity (every one counted) and the findings kept.</summary>
public sealed record JobFindingsResponse(string Job, int Errors, int Warnings, int Notes, IReadOnlyList<FindingResponse> Findings);

/// <summary><c>GET /api/runs/{id}/findings</c>: the run's static analysis findings by severity, and each job's.</summary>
public sealed record RunFindingsResponse(int Errors, int Warnings, int Notes, IReadOnlyList<JobFindingsResponse> Jobs);

/// <summary>The run a pull request's run is compared with: the newest finished run of its target branch.</summary>
public sealed record BaseRunResponse(long Id, int Number, string Branch, string Status);

public sealed record ComparedFailureResponse(string Job, string Name, string ClassName, string Message);

public sealed record ComparedFindingResponse(string Job, string Severity, string Rule, string Message, string? Path, int? Line);

/// <summary>
/// <c>GET /api/runs/{id}/reports/comparison</c>: the run's failing tests and findings against its base run's —
/// new failures, failures already on the target branch, new findings, and how many findings the base has too.
/// Without a base run every failure and finding is new.
/// </summary>
public sealed record ReportComparisonResponse(
    BaseRunResponse? Base, IReadOnlyList<ComparedFailureResponse> NewFailures, IReadOnlyList<ComparedFailureResponse> AlreadyFailing,
    IReadOnlyList<ComparedFindingResponse> NewFindings, int KnownFindings);
