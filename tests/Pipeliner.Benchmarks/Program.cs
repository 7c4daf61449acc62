using BenchmarkDotNet.Running;
using Pipeliner.Benchmarks;

if (args.Contains("--phases"))
{
    PhaseTimer.Run(Console.Out);
    return 0;
}

if (args.Length > 0 && args[0] == "--logs")
{
    var attempts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;
    var kilobytes = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100;
    // --logs N KB postgres: on the PostgreSQL database of $PIPELINER_BENCH_POSTGRES (an empty one).
    var postgres = args.Length > 3 && args[3] == "postgres"
        ? Environment.GetEnvironmentVariable("PIPELINER_BENCH_POSTGRES") ?? throw new InvalidOperationException("set PIPELINER_BENCH_POSTGRES to an empty database's connection string")
        : null;
    await LogBenchmark.RunAsync(Console.Out, attempts, kilobytes, postgres);
    return 0;
}

if (args.Length > 0 && args[0] == "--logs-ingest")
{
    // --logs-ingest N KB [postgres]: appends and the server's sealer at once, until every log is sealed.
    var attempts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
    var kilobytes = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100;
    var postgres = args.Length > 3 && args[3] == "postgres"
        ? Environment.GetEnvironmentVariable("PIPELINER_BENCH_POSTGRES") ?? throw new InvalidOperationException("set PIPELINER_BENCH_POSTGRES to an empty database's connection string")
        : null;
    // --warm N: N logs ingested and sealed first (in a data directory of their own, not timed), as in a server that has
    // run for a while: the runtime's compilation of the code paths is then not part of the figure.
    var warm = Array.IndexOf(args, "--warm") is var at and > 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
    await LogBenchmark.IngestWithSealingAsync(Console.Out, attempts, kilobytes, postgres, warm);
    return 0;
}

if (args.Length > 0 && args[0] == "--seal-breakdown")
{
    // --seal-breakdown N KB [postgres]: where sealing's CPU goes (pieces, index, compression), on a warm process.
    var attempts = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300;
    var kilobytes = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100;
    var postgres = args.Length > 3 && args[3] == "postgres"
        ? Environment.GetEnvironmentVariable("PIPELINER_BENCH_POSTGRES") ?? throw new InvalidOperationException("set PIPELINER_BENCH_POSTGRES to an empty database's connection string")
        : null;
    await SealBreakdown.RunAsync(Console.Out, attempts, kilobytes, postgres);
    return 0;
}

if (args.Length > 0 && args[0] == "--logs-index")
{
    // --logs-index: the PostgreSQL index that a --logs ... postgres run filled in $PIPELINER_BENCH_POSTGRES, searched again.
    await LogBenchmark.IndexOnlyAsync(Console.Out,
        Environment.GetEnvironmentVariable("PIPELINER_BENCH_POSTGRES") ?? throw new InvalidOperationException("set PIPELINER_BENCH_POSTGRES"));
    return 0;
}

if (args.Length > 0 && args[0] == "--retention")
{
    var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
    await RetentionBenchmark.RunAsync(Console.Out, runs);
    return 0;
}

if (args.Contains("--yaml"))
{
    // The generated pipeline, e.g. to try it with the CLI: dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --yaml > big.yml
    Console.Out.Write(PipelineGenerator.Generate());
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(PipelineBenchmarks).Assembly).Run(args);
return 0;
