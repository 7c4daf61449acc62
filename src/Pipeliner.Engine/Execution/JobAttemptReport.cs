using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Execution;

/// <summary>What one attempt produced: how it ended, its log file, its artifacts and its report files.</summary>
public sealed record JobAttemptReport(AttemptOutcome Outcome, string LogPath, IReadOnlyList<ArchivedPath> Artifacts)
{
    /// <summary>The archive of the test and static analysis reports it collected (see <c>Reports/ReportCollector</c>); empty when none.</summary>
    public IReadOnlyList<ArchivedPath> Reports { get; init; } = [];
}
