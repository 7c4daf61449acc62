namespace Pipeliner.Cli;

/// <summary>Where a command writes; tests pass string writers, <c>Program</c> the real console.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal = false);
