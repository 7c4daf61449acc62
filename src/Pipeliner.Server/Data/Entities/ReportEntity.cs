namespace Pipeliner.Server.Data.Entities;

/// <summary>
/// The reports of one job attempt (<c>reports:</c> in the pipeline): its tests' counts and its findings' counts by
/// severity, with the failing tests and the findings kept (bounded). Null counts: the attempt had no report of that kind.
/// </summary>
public sealed class ReportEntity
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public required string JobId { get; set; }
    public int Attempt { get; set; }

    public int? TestsTotal { get; set; }
    public int? TestsFailed { get; set; }
    public int? TestsErrored { get; set; }
    public int? TestsSkipped { get; set; }
    public long? TestsDurationMs { get; set; }

    public int? FindingErrors { get; set; }
    public int? FindingWarnings { get; set; }
    public int? FindingNotes { get; set; }

    /// <summary>The report files left out and why, one per line (bounded).</summary>
    public string? Problems { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public List<ReportFailureEntity> Failures { get; set; } = [];
    public List<ReportFindingEntity> Findings { get; set; } = [];
}

/// <summary>A failing (or erroring) test of a <see cref="ReportEntity"/>.</summary>
public sealed class ReportFailureEntity
{
    public long Id { get; set; }
    public long ReportId { get; set; }
    public required string Name { get; set; }
    public required string ClassName { get; set; }
    public required string Message { get; set; }
    public required string StackTrace { get; set; }
    public bool Errored { get; set; }
}

/// <summary>A static analysis finding of a <see cref="ReportEntity"/>.</summary>
public sealed class ReportFindingEntity
{
    public long Id { get; set; }
    public long ReportId { get; set; }
    public required string Severity { get; set; }
    public required string Rule { get; set; }
    public required string Message { get; set; }
    public string? Path { get; set; }
    public int? Line { get; set; }
    public int? Column { get; set; }
    public required string Tool { get; set; }
}
