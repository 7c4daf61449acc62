using Pipeliner.Core.Diagnostics;

namespace Pipeliner.Cli;

internal static class DiagnosticPrinter
{
    /// <summary>One line per problem, <c>FILE:LINE:COL: error: MESSAGE</c>, the format editors and CI logs link.</summary>
    public static void Print(TextWriter output, string file, IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
            output.WriteLine($"{file}:{diagnostic.Location.Line}:{diagnostic.Location.Column}: error: {diagnostic.Message}");
    }
}
