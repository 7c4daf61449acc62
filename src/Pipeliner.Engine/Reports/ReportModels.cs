namespace Pipeliner.Engine.Reports;

/// <summary>The two kinds of report a job's <c>reports:</c> key names.</summary>
public static class ReportKinds
{
    public const string Junit = "junit";
    public const string Sarif = "sarif";
}

/// <summary>A failing or erroring test case: <paramref name="Errored"/> when the test could not run to its assertion (JUnit's error).</summary>
public sealed record TestFailure(string Name, string ClassName, string Message, string StackTrace, bool Errored);

/// <summary>Counts of one or more JUnit files; <paramref name="Failures"/> is bounded, the counts are not.</summary>
public sealed record TestSummary(int Total, int Failed, int Errored, int Skipped, TimeSpan Duration, IReadOnlyList<TestFailure> Failures)
{
    public static TestSummary Empty { get; } = new(0, 0, 0, 0, TimeSpan.Zero, []);

    public int Passed => Total - Failed - Errored - Skipped;

    /// <summary>The two summed, failures kept up to <paramref name="maxFailures"/>.</summary>
    public TestSummary Add(TestSummary other, int maxFailures) => new(
        Total + other.Total, Failed + other.Failed, Errored + other.Errored, Skipped + other.Skipped, Duration + other.Duration,
        Failures.Count >= maxFailures ? Failures : Failures.Concat(other.Failures).Take(maxFailures).ToList());
}

/// <summary>SARIF's result levels as Pipeliner keeps them.</summary>
public static class FindingSeverities
{
    public const string Error = "error";
    public const string Warning = "warning";
    public const string Note = "note";
}

/// <summary>One static analysis result: <paramref name="Severity"/> is error, warning or note; the location may be unknown.</summary>
public sealed record Finding(string Severity, string Rule, string Message, string? Path, int? Line, int? Column, string Tool);

/// <summary>Findings by severity, every one counted (the findings kept are bounded).</summary>
public sealed record FindingCounts(int Errors, int Warnings, int Notes)
{
    public static FindingCounts Zero { get; } = new(0, 0, 0);

    public int Total => Errors + Warnings + Notes;

    public FindingCounts Add(FindingCounts other) => new(Errors + other.Errors, Warnings + other.Warnings, Notes + other.Notes);

    public FindingCounts Add(string severity) => severity switch
    {
        FindingSeverities.Error => this with { Errors = Errors + 1 },
        FindingSeverities.Warning => this with { Warnings = Warnings + 1 },
        _ => this with { Notes = Notes + 1 },
    };
}

/// <summary>The findings of one or more SARIF files: counted, and the first ones kept.</summary>
public sealed record FindingSet(FindingCounts Counts, IReadOnlyList<Finding> Findings);

/// <summary>What one report file gave: tests or findings, or why it was left out (<paramref name="Problem"/>).</summary>
public sealed record ReportFile(string Kind, string Path, TestSummary? Tests, FindingSet? Findings, string? Problem);

/// <summary>Every report of one job attempt, read and summed; <see cref="Problems"/> are files that were left out, and why.</summary>
public sealed record JobReports(TestSummary? Tests, FindingSet? Findings, IReadOnlyList<string> Problems)
{
    public static JobReports None { get; } = new(null, null, []);

    public static JobReports Of(IEnumerable<ReportFile> files, ReportLimits limits)
    {
        TestSummary? tests = null;
        FindingSet? findings = null;
        var problems = new List<string>();
        foreach (var file in files)
        {
            if (file.Problem is not null) problems.Add($"{file.Path}: {file.Problem}");
            if (file.Tests is { } summary) tests = (tests ?? TestSummary.Empty).Add(summary, limits.MaxFailures);
            if (file.Findings is { } found)
            {
                findings ??= new FindingSet(FindingCounts.Zero, []);
                findings = new FindingSet(findings.Counts.Add(found.Counts),
                    findings.Findings.Concat(found.Findings).Take(limits.MaxFindings).ToList());
            }
        }

        return new JobReports(tests, findings, problems);
    }
}
