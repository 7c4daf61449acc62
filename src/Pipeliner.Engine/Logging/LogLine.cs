namespace Pipeliner.Engine.Logging;

/// <summary>One line of a job's log, already masked.</summary>
public sealed record LogLine(DateTimeOffset Timestamp, string Text);
