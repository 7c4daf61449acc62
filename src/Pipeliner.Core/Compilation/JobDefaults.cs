using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>The pipeline's <c>defaults</c>, applied to every job that does not set the key itself.</summary>
internal sealed record JobDefaults(string? Image, TimeSpan Timeout, int Retry, IReadOnlyList<string> RunsOn, ResourceLimits Resources)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(1);

    /// <param name="resources">The server's defaults, which <c>defaults.resources</c> and each job's own replace key by key.</param>
    public static JobDefaults Compile(DefaultsSyntax? syntax, ValueParser parse, ResourceLimits resources)
    {
        if (syntax is null) return new JobDefaults(null, DefaultTimeout, 0, [], resources);
        return new JobDefaults(
            parse.NonEmpty(syntax.Image, "defaults.image"),
            parse.Duration(syntax.Timeout, "defaults.timeout") ?? DefaultTimeout,
            parse.Integer(syntax.Retry, "defaults.retry", 0, JobCompiler.MaxRetry) ?? 0,
            parse.Labels(syntax.RunsOn, "defaults.runs-on"),
            parse.Resources(syntax.Resources, "defaults.resources", resources));
    }
}
