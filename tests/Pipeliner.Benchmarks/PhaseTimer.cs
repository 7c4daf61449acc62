using System.Diagnostics;
using System.Globalization;
using Pipeliner.Core.Compilation;
using Pipeliner.Core.Diagnostics;
using Pipeliner.Core.Planning;
using Pipeliner.Core.Syntax;
using Pipeliner.Core.Syntax.Yaml;

namespace Pipeliner.Benchmarks;

/// <summary>
/// A quick Stopwatch breakdown of where the time of load + plan goes (<c>-- --phases</c>), to see what
/// dominates without a profiler. Each phase is timed alone: its inputs are prepared outside the measurement.
/// Not a substitute for the BenchmarkDotNet figures.
/// </summary>
public static class PhaseTimer
{
    // Enough calls for tiered compilation to reach optimized code (the first calls run unoptimized code).
    private const int WarmUpCalls = 60;

    public static void Run(TextWriter output, int iterations = 60)
    {
        var text = PipelineGenerator.Generate();
        var loaded = PipelineBenchmarks.LoadChecked(text);

        // Each phase: an untimed preparation returning the timed action.
        var phases = new (string Name, Func<Action> Prepare)[]
        {
            ("1. YAML text -> node tree (fast reader)", () => () => YamlTreeLoader.Load(text, new DiagnosticBag())),
            ("2. tree -> syntax DTOs (shape and key checks)", () =>
            {
                // PipelineSyntaxReader.Read includes phase 1; phase 2 is reported as the difference.
                return () => PipelineSyntaxReader.Read(text, new DiagnosticBag());
            }),
            ("3. syntax -> validated pipeline (compile)", () =>
            {
                var bag = new DiagnosticBag();
                var syntax = PipelineSyntaxReader.Read(text, bag)!;
                return () => PipelineCompiler.Compile(syntax, new DiagnosticBag());
            }),
            ("4. plan, freshly loaded pipeline", () =>
            {
                var fresh = PipelineBenchmarks.LoadChecked(text);
                return () => PipelinePlanner.Plan(fresh, PipelineBenchmarks.Push);
            }),
            ("5. plan, pipeline planned before (regexes built)", () => () => PipelinePlanner.Plan(loaded, PipelineBenchmarks.Push)),
            ("   load + plan (end to end)", () => () => PipelinePlanner.Plan(PipelineBenchmarks.LoadChecked(text), PipelineBenchmarks.Push)),
        };

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{text.Length / 1024} KiB of YAML, {loaded.Jobs.Count} job instances; {iterations} timed calls per phase after {WarmUpCalls} warm-up calls"));
        output.WriteLine($"{"phase",-52} {"median",9} {"min",9}  allocated");
        var medians = new List<double>();
        foreach (var (name, prepare) in phases)
        {
            for (var i = 0; i < WarmUpCalls; i++) prepare()();
            var times = new double[iterations];
            long bytes = 0;
            for (var i = 0; i < iterations; i++)
            {
                var action = prepare();
                GC.Collect();
                var before = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                action();
                watch.Stop();
                bytes += GC.GetAllocatedBytesForCurrentThread() - before;
                times[i] = watch.Elapsed.TotalMilliseconds;
            }

            Array.Sort(times);
            var median = times[iterations / 2];
            medians.Add(median);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-52} {median,6:0.00} ms {times[0],6:0.00} ms  {bytes / iterations / (1024.0 * 1024),6:0.00} MiB"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"   (phase 2 alone = line 2 - line 1)",-52} {medians[1] - medians[0],6:0.00} ms"));
    }
}
