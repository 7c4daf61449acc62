using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Core.Reporting;

/// <summary>The public JSON shape of <c>pipeliner validate --json</c>: a contract, keep names stable.</summary>
public sealed record ValidationReport(bool Valid, IReadOnlyList<ValidationReportError> Errors)
{
    public static ValidationReport From(IReadOnlyList<Diagnostic> diagnostics) => new(
        diagnostics.Count == 0,
        diagnostics.Select(d => new ValidationReportError(d.Location.Line, d.Location.Column, d.Message)).ToList());
}

public sealed record ValidationReportError(int Line, int Column, string Message);
