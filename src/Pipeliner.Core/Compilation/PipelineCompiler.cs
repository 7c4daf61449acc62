using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Model;
using Pipeliner.Core.Syntax;

namespace Pipeliner.Core.Compilation;

/// <summary>Turns the YAML DTOs into the validated <see cref="Pipeline"/>, reporting every problem found.</summary>
public static class PipelineCompiler
{
    /// <returns>The pipeline, or null when <paramref name="diagnostics"/> holds errors.</returns>
    public static Pipeline? Compile(PipelineSyntax syntax, DiagnosticBag diagnostics, PipelineLimits? limits = null)
    {
        limits ??= PipelineLimits.Default;
        var parse = new ValueParser(diagnostics, limits.Maximums);
        var stages = CompileStages(syntax, parse);
        var defaults = JobDefaults.Compile(syntax.Defaults, parse, limits.Defaults);
        var jobCompiler = new JobCompiler(parse, stages, defaults);
        var templates = syntax.Jobs.Select(jobCompiler.Compile).OfType<JobTemplate>().ToList();
        if (syntax.Jobs.Count == 0 && !syntax.JobsMalformed)
            parse.Error(syntax.JobsLocation ?? SourceLocation.Start, "jobs: a pipeline needs at least one job");

        var instances = ExpandMatrices(templates, parse, limits.MaxJobs);
        var needs = new NeedsResolver(parse, templates, instances).Resolve();
        var pipeline = new Pipeline
        {
            Name = syntax.Name?.Value,
            Triggers = TriggerCompiler.Compile(syntax.On, parse),
            Variables = parse.Variables(syntax.Variables, "variables"),
            Stages = stages,
            Jobs = instances.ConvertAll(j => needs.GetValueOrDefault(j.Name) is { } jobNeeds ? j with { Needs = jobNeeds } : j),
            Concurrency = CompileConcurrency(syntax.Concurrency, parse),
        };
        return diagnostics.HasErrors ? null : pipeline;
    }

    private static List<string> CompileStages(PipelineSyntax syntax, ValueParser parse)
    {
        var stages = new List<string>();
        if (syntax.Stages is not { } list)
        {
            if (syntax.Lacks("stages"))
                parse.Error(SourceLocation.Start, "'stages' is required: the ordered list of stage names, e.g. stages: [build, test, deploy]");
            return stages;
        }

        if (list.Items.Count == 0) parse.Error(list.Location, "stages: list at least one stage");
        foreach (var item in list.Items)
        {
            if (parse.Identifier(item, "stages", "stage") is not { } stage) continue;
            if (stages.Contains(stage)) parse.Error(item.Location, $"stages: '{stage}' is listed twice");
            else stages.Add(stage);
        }

        return stages;
    }

    /// <summary>Every job instance; none when the run would have more than <paramref name="maxJobs"/> (counted before expanding anything).</summary>
    private static List<Job> ExpandMatrices(List<JobTemplate> templates, ValueParser parse, int maxJobs)
    {
        var instances = new List<Job>();
        long total = 0;
        foreach (var template in templates)
        {
            total += template.Matrix.Aggregate(1L, (product, axis) => Math.Min(product * Math.Max(1, axis.Values.Count), (long)maxJobs + 1));
            if (total <= maxJobs) continue;
            parse.Error(template.Syntax.Matrix?.Location ?? template.Job.Location,
                $"jobs.{template.Job.Name}: the run would have more than {maxJobs} jobs (matrices expanded) with this job; " +
                $"a run has at most {maxJobs} (the server's Pipeliner:Limits:JobsPerRun)");
            return instances;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var template in templates)
        {
            foreach (var instance in MatrixExpander.Expand(template))
            {
                if (ids.Add(instance.Id)) instances.Add(instance);
                else
                    parse.Error(template.Syntax.Matrix?.Location ?? instance.Location,
                        $"jobs.{template.Job.Name}: job id '{instance.Id}' occurs twice after matrix expansion");
            }
        }

        return instances;
    }

    private static ConcurrencyPolicy CompileConcurrency(Scalar? scalar, ValueParser parse)
    {
        switch (scalar?.Value)
        {
            case null or "parallel": return ConcurrencyPolicy.Parallel;
            case "cancel-previous": return ConcurrencyPolicy.CancelPrevious;
            default:
                parse.Error(scalar.Location, $"concurrency: unknown value '{scalar.Value}'; use parallel or cancel-previous");
                return ConcurrencyPolicy.Parallel;
        }
    }
}
