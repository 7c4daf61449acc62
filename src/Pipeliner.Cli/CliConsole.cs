namespace Pipeliner.Cli;

/// <summary>Where a command reads and writes; tests pass string readers and writers, <c>Program</c> the real console.</summary>
/// <param name="In">Standard input, for secrets given as "-" (null: none).</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal = false, TextReader? In = null);
