using BenchmarkDotNet.Attributes;
using Pipeliner.Core;
using Pipeliner.Core.Model;
using Pipeliner.Core.Planning;

namespace Pipeliner.Benchmarks;

/// <summary>Parse + validate + plan of a generated pipeline of 1,000 job instances in 10 stages.</summary>
[MemoryDiagnoser]
[MinColumn, MaxColumn, MedianColumn]
public class PipelineBenchmarks
{
    public const int ExpectedInstances = 1000;

    public static readonly TriggerContext Push = new()
    {
        Event = EventKind.Push,
        Branch = "main",
        ChangedPaths = ["svc3/src/main.go", "svc3/go.mod", "docs/index.md"],
        Project = "generated-large",
        RunId = "1",
        CommitSha = "0123456789abcdef0123456789abcdef01234567",
    };

    private string _text = "";
    private Pipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _text = PipelineGenerator.Generate();
        _pipeline = LoadChecked(_text);
    }

    /// <summary>YAML text to validated pipeline: parse, check every key, compile, expand matrices, resolve needs.</summary>
    [Benchmark]
    public Pipeline? Load() => PipelineLoader.Load(_text).Pipeline;

    /// <summary>Plan a push for an already loaded pipeline (decisions, needs, job specs).</summary>
    [Benchmark]
    public ExecutionPlan Plan() => PipelinePlanner.Plan(_pipeline, Push);

    /// <summary>What <c>pipeliner plan</c> does with the text: load, then plan.</summary>
    [Benchmark(Baseline = true)]
    public ExecutionPlan LoadAndPlan() => PipelinePlanner.Plan(PipelineLoader.Load(_text).Pipeline!, Push);

    public static Pipeline LoadChecked(string text)
    {
        var result = PipelineLoader.Load(text);
        if (result.Pipeline is null)
            throw new InvalidOperationException("the generated pipeline is invalid:\n" + string.Join('\n', result.Diagnostics.Take(20)));
        if (result.Pipeline.Jobs.Count != ExpectedInstances)
            throw new InvalidOperationException($"the generated pipeline has {result.Pipeline.Jobs.Count} job instances, not {ExpectedInstances}");
        return result.Pipeline;
    }
}
