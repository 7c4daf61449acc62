using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>The pipeline's <c>defaults</c>, applied to every job that does not set the key itself.</summary>
internal sealed record JobDefaults(string? Image, TimeSpan Timeout, int Retry, IReadOnlyList<string> RunsOn, ResourceLimits Resources)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromHours(1);

    public static JobDefaults Compile(DefaultsSyntax? syntax, ValueParser parse)
    {
        if (syntax is null) return new JobDefaults(null, DefaultTimeout, 0, [], ResourceLimits.None);
        return new JobDefaults(
            parse.NonEmpty(syntax.Image, "defaults.image"),
            parse.Duration(syntax.Timeout, "defaults.timeout") ?? DefaultTimeout,
            parse.Integer(syntax.Retry, "defaults.retry", 0, JobCompiler.MaxRetry) ?? 0,
            parse.Labels(syntax.RunsOn, "defaults.runs-on"),
            parse.Resources(syntax.Resources, "defaults.resources", ResourceLimits.None));
    }
}
