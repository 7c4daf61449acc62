using Pipeliner.Core.Runs;
using Pipeliner.Engine.Storage;

namespace Pipeliner.Engine.Execution;

/// <summary>What one attempt produced: how it ended, its log file and its artifacts.</summary>
public sealed record JobAttemptReport(AttemptOutcome Outcome, string LogPath, IReadOnlyList<ArchivedPath> Artifacts);
