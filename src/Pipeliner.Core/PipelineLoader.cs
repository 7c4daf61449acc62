using Pipeliner.Core.Compilation;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core;

/// <summary>The result of loading a pipeline: the pipeline when valid, otherwise every problem found.</summary>
public sealed record PipelineLoadResult(Pipeline? Pipeline, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool IsValid => Pipeline is not null;
}

/// <summary>Text of a <c>.pipeliner.yml</c> → validated pipeline: read the YAML, then compile it.</summary>
public static class PipelineLoader
{
    /// <param name="text">The file's text.</param>
    /// <param name="limits">The server's limits; <see cref="PipelineLimits.Default"/> when null.</param>
    public static PipelineLoadResult Load(string text, PipelineLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var syntax = PipelineSyntaxReader.Read(text, diagnostics);
        var pipeline = syntax is null ? null : PipelineCompiler.Compile(syntax, diagnostics, limits ?? PipelineLimits.Default);
        return new PipelineLoadResult(diagnostics.HasErrors ? null : pipeline, diagnostics.ToSortedList());
    }
}
