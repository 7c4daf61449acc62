using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Dashboard;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Postgres;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.ProjectSecrets;
using Pipeliner.Server.Settings;

namespace Pipeliner.Benchmarks;

/// <summary>
/// Logs at scale (docs/performance.md, "Logs at scale"): generated CI logs of <c>attempts</c> × ~100 KB go through the
/// server's log store as remote agents send them (offset batches of 256 KB, masked), each is sealed when it ends (indexed
/// in the FTS5 trigram index, or the GIN index of trigram codes on PostgreSQL; compressed), then searches across all runs are timed through the same service as
/// <c>GET /api/search/logs</c>, and a 100,000-line compressed log is opened as the dashboard does.
/// <code>dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --logs [attempts=2000] [kb-per-attempt=100] [sqlite|postgres]</code>
/// </summary>
public static class LogBenchmark
{
    private const string RareMarker = "E-PAYMENT-7f3c9a1d";
    private const int Searches = 25;
    private const int SealBatch = 32;

    private static readonly (string Name, string Query)[] Queries =
        [("rare", RareMarker), ("rare, lower case, part", "payment-7f3c9"), ("common (limit 100)", LogCorpus.CommonWord), ("absent", "no-such-text-anywhere")];

    private static string Percentiles(List<double> times)
    {
        times.Sort();
        return string.Create(CultureInfo.InvariantCulture, $"p50 {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms");
    }

    /// <summary>
    /// The PostgreSQL index alone, on a database a full run filled (its log files gone): the candidates a search takes
    /// (up to 100 pieces), for each query, <see cref="Searches"/> times.
    /// <code>dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --logs-index postgres</code>
    /// </summary>
    public static async Task IndexOnlyAsync(TextWriter output, string postgres)
    {
        var cpu = new CpuClock(new Npgsql.NpgsqlConnectionStringBuilder(postgres).Database);
        await using var index = new PostgresLogSearchIndex(postgres, Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresLogSearchIndex>.Instance);
        var stats = await index.StatsAsync(CancellationToken.None);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"index: {stats.Logs} logs, {stats.Chunks} pieces, {stats.TextBytes / 1e6:F1} MB of log text, {stats.IndexBytes / 1e6:F1} MB; load average {CpuClock.LoadAverage()}"));
        foreach (var (name, query) in Queries)
        {
            var times = new List<double>();
            var found = 0;
            var (processBefore, databaseBefore) = (cpu.ProcessSeconds, cpu.DatabaseSeconds);
            for (var i = 0; i < Searches; i++)
            {
                var timer = Stopwatch.StartNew();
                found = await index.CandidatesAsync(new LogSearchFilter(query, null, null, null, null), CancellationToken.None).Take(100).CountAsync();
                times.Add(timer.Elapsed.TotalMilliseconds);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"candidates {name} '{query}': {found} pieces; {Percentiles(times)}; " +
                $"CPU per search {(cpu.ProcessSeconds - processBefore) * 1000 / Searches:F1} ms here + {(cpu.DatabaseSeconds - databaseBefore) * 1000 / Searches:F1} ms in PostgreSQL"));
        }

        output.WriteLine($"load average now {CpuClock.LoadAverage()}");
    }

    /// <param name="postgres">A connection string to an empty PostgreSQL database to run on (GIN index of trigram codes), or null for SQLite (FTS5).</param>
    public static async Task RunAsync(TextWriter output, int attempts, int kilobytes, string? postgres = null)
    {
        var root = Directory.CreateTempSubdirectory("pipeliner-logbench-").FullName;
        try
        {
            await using var services = Services(root, postgres);
            output.WriteLine($"database: {services.GetRequiredService<IDatabaseProvider>().Name}; load average {CpuClock.LoadAverage()}");
            var cpu = new CpuClock(postgres is null ? null : new Npgsql.NpgsqlConnectionStringBuilder(postgres).Database);
            double ingestCpu = 0, sealCpu = 0, sealDatabaseCpu = 0;
            await SeedRunsAsync(services, attempts);
            var store = services.GetRequiredService<ILogStore>();
            var sealer = services.GetRequiredService<LogSealer>();
            var layout = services.GetRequiredService<DataLayout>();
            var masker = new SecretMasker(["hunter2-secret-value", "AKIAEXAMPLEKEY123"]);
            var random = new Random(42);
            var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

            long plainBytes = 0;
            var generate = TimeSpan.Zero;
            var ingest = Stopwatch.StartNew();
            ingest.Stop();
            var seal = new Stopwatch();
            var ended = new List<LogRef>();
            for (var i = 1; i <= attempts; i++)
            {
                var generated = Stopwatch.StartNew();
                var log = LogCorpus.Attempt(random, kilobytes * 1024, start.AddMinutes(i), i == attempts / 3 ? RareMarker : null);
                generate += generated.Elapsed;
                var reference = LogRef.For(layout, i, "build", 1);
                ingest.Start();
                var cpuBefore = cpu.ProcessSeconds;
                for (var offset = 0; offset < log.Length;)
                {
                    var end = Math.Min(log.Length, offset + 256 * 1024);
                    end = Array.LastIndexOf(log, (byte)'\n', end - 1) + 1;
                    await store.AppendAsync(reference, offset, log.AsMemory(offset, end - offset), masker, CancellationToken.None);
                    offset = end;
                }

                ingest.Stop();
                ingestCpu += cpu.ProcessSeconds - cpuBefore;
                plainBytes += log.Length;
                ended.Add(reference);
                if (ended.Count < SealBatch && i < attempts) continue;

                // Sealed as the sealer takes logs that ended while it worked: up to 32 in one write to the index.
                cpuBefore = cpu.ProcessSeconds;
                var databaseBefore = cpu.DatabaseSeconds;
                seal.Start();
                await sealer.SealAsync(ended, CancellationToken.None);
                seal.Stop();
                sealCpu += cpu.ProcessSeconds - cpuBefore;
                sealDatabaseCpu += cpu.DatabaseSeconds - databaseBefore;
                ended.Clear();
            }

            var index = await services.GetRequiredService<ILogSearchIndex>().StatsAsync(CancellationToken.None);
            var stored = Directory.EnumerateFiles(layout.RunsDirectory, "*.zst", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            var mb = plainBytes / 1e6;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"corpus: {attempts} attempts, {mb:F1} MB of stored log lines (generated in {generate.TotalSeconds:F1} s, not counted)"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingestion (append through the store): {mb / ingest.Elapsed.TotalSeconds:F1} MB/s; sealing (index + compress): {mb / seal.Elapsed.TotalSeconds:F1} MB/s; " +
                $"both: {mb / (ingest.Elapsed + seal.Elapsed).TotalSeconds:F1} MB/s"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU time: appends {ingestCpu:F1} s = {mb / ingestCpu:F1} MB per CPU-second; sealing {sealCpu:F1} s in this process + " +
                $"{sealDatabaseCpu:F1} s in PostgreSQL = {mb / (sealCpu + sealDatabaseCpu):F1} MB per CPU-second; load average now {CpuClock.LoadAverage()}"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"index: {index.IndexBytes / 1e6:F1} MB = {(double)index.IndexBytes / plainBytes:F2}x the log text ({index.Chunks} pieces); " +
                $"compressed logs: {stored / 1e6:F1} MB, ratio {(double)plainBytes / stored:F2}:1"));

            foreach (var (name, query) in Queries)
            {
                var times = new List<double>();
                RunLogSearchResponse? last = null;
                var (processBefore, databaseBefore) = (cpu.ProcessSeconds, cpu.DatabaseSeconds);
                for (var i = 0; i < Searches; i++)
                {
                    await using var scope = services.CreateAsyncScope();
                    var timer = Stopwatch.StartNew();
                    last = await scope.ServiceProvider.GetRequiredService<LogSearch>()
                        .SearchAsync(new LogSearchFilter(query, null, null, null, null), null, 100, CancellationToken.None);
                    times.Add(timer.Elapsed.TotalMilliseconds);
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"search {name} '{query}': {last!.Matches.Count} matches{(last.Truncated ? " (truncated)" : "")}; {Percentiles(times)}; " +
                    $"CPU per search {(cpu.ProcessSeconds - processBefore) * 1000 / Searches:F1} ms here + {(cpu.DatabaseSeconds - databaseBefore) * 1000 / Searches:F1} ms in PostgreSQL"));
            }

            await OpenLargeLogAsync(output, store, sealer, layout, masker, random, attempts + 1);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Ingestion with sealing on, as a server under a steady stream of logs: the logs are appended as remote agents send
    /// them, each completed as its attempt ends, while the server's <see cref="LogSealer"/> (started as in the server)
    /// indexes and compresses them in the background; timed from the first append until every log is sealed.
    /// <code>dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --logs-ingest [attempts=1000] [kb=100] [sqlite|postgres]</code>
    /// </summary>
    public static async Task IngestWithSealingAsync(TextWriter output, int attempts, int kilobytes, string? postgres = null, int warm = 0)
    {
        var warmRoot = Directory.CreateTempSubdirectory("pipeliner-logbench-warm-").FullName;
        try
        {
            if (warm > 0 && postgres is null)
            {
                // The same work on a few logs first, in a database of its own (JIT): its figures are printed, not the point.
                output.WriteLine($"warm-up: {warm} logs");
                await IngestWithSealingAsync(TextWriter.Null, warm, kilobytes, null, warmRoot);
            }

            await IngestWithSealingAsync(output, attempts, kilobytes, postgres, Directory.CreateTempSubdirectory("pipeliner-logbench-").FullName);
        }
        finally
        {
            // Removed only after the timed part: on this machine's ext4 without a journal, each inode freed in the last
            // minute is skipped (and read) by every file created after it, so thousands of files removed just before
            // the timed part would be charged to it.
            Directory.Delete(warmRoot, recursive: true);
        }
    }

    private static async Task IngestWithSealingAsync(TextWriter output, int attempts, int kilobytes, string? postgres, string root)
    {
        try
        {
            await using var services = Services(root, postgres);
            var cpu = new CpuClock(postgres is null ? null : new Npgsql.NpgsqlConnectionStringBuilder(postgres).Database);
            await SeedRunsAsync(services, attempts, finished: false); // unfinished: the catch-up leaves them to the completions
            var store = services.GetRequiredService<ILogStore>();
            var layout = services.GetRequiredService<DataLayout>();
            var masker = new SecretMasker(["hunter2-secret-value", "AKIAEXAMPLEKEY123"]);
            var random = new Random(42);
            var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
            var logs = Enumerable.Range(1, attempts).Select(i => LogCorpus.Attempt(random, kilobytes * 1024, start.AddMinutes(i), i == attempts / 3 ? RareMarker : null)).ToList();
            var references = Enumerable.Range(1, attempts).Select(i => LogRef.For(layout, i, "build", 1)).ToList();
            var mb = logs.Sum(l => (long)l.Length) / 1e6;

            var sealer = services.GetRequiredService<LogSealer>();
            await sealer.StartAsync(CancellationToken.None);
            ((ApplicationLifetime)services.GetRequiredService<IHostApplicationLifetime>()).NotifyStarted();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingestion with sealing on: {attempts} logs, {mb:F1} MB ({services.GetRequiredService<IDatabaseProvider>().Name}); load average {CpuClock.LoadAverage()}"));
            var (processBefore, databaseBefore, kernelBefore) = (cpu.ProcessSeconds, cpu.DatabaseSeconds, cpu.KernelSeconds);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < attempts; i++)
            {
                var log = logs[i];
                for (var offset = 0; offset < log.Length;)
                {
                    var end = Math.Min(log.Length, offset + 256 * 1024);
                    end = Array.LastIndexOf(log, (byte)'\n', end - 1) + 1;
                    await store.AppendAsync(references[i], offset, log.AsMemory(offset, end - offset), masker, CancellationToken.None);
                    offset = end;
                }

                await store.CompleteAsync(references[i], CancellationToken.None);
            }

            var appended = clock.Elapsed;
            var sealedAll = references.Count;
            // Each log looked at until it is sealed (they are sealed in the order they ended), not all of them at each look.
            for (var next = 0; next < references.Count;)
            {
                if (store.SizeOf(references[next]) is { Compressed: true })
                {
                    next++;
                    continue;
                }

                if (clock.Elapsed > TimeSpan.FromHours(1)) throw new TimeoutException($"{references.Count - next} logs were not sealed in an hour");
                await Task.Delay(100);
            }

            // A log is compressed as soon as the index has read it, before the index's write is committed: sealed means
            // indexed too. The logs are indexed in the order they ended, so the last one's being there is enough (the
            // count of indexed logs is printed below).
            var searchIndex = services.GetRequiredService<ILogSearchIndex>();
            while (!await searchIndex.ContainsAsync(references[^1], CancellationToken.None))
            {
                if (clock.Elapsed > TimeSpan.FromHours(1)) throw new TimeoutException("the last log was not indexed in an hour");
                await Task.Delay(20);
            }

            var wall = clock.Elapsed;
            var (process, database, kernel) = (cpu.ProcessSeconds - processBefore, cpu.DatabaseSeconds - databaseBefore, cpu.KernelSeconds - kernelBefore);
            await sealer.StopAsync(CancellationToken.None);
            var index = await services.GetRequiredService<ILogSearchIndex>().StatsAsync(CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"appends done after {appended.TotalSeconds:F1} s; all {sealedAll} logs sealed (indexed: {index.Logs}) after {wall.TotalSeconds:F1} s = {mb / wall.TotalSeconds:F1} MB/s until sealed; " +
                $"CPU {process:F1} s here (of which {kernel:F1} s in the kernel) + {database:F1} s in PostgreSQL = {mb / (process + database):F1} MB per CPU-second (appends and sealing); load average now {CpuClock.LoadAverage()}"));
            await using var scope = services.CreateAsyncScope();
            var found = await scope.ServiceProvider.GetRequiredService<LogSearch>().SearchAsync(new LogSearchFilter(RareMarker, null, null, null, null), null, 100, CancellationToken.None);
            output.WriteLine($"search for the rare string after ingestion: {found.Matches.Count} match(es)");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A 100,000-line log, compressed, read as the dashboard opens it: its pages, then all of it in 8 MiB answers.</summary>
    private static async Task OpenLargeLogAsync(TextWriter output, ILogStore store, LogSealer sealer, DataLayout layout, SecretMasker masker, Random random, int runId)
    {
        var reference = LogRef.For(layout, runId, "build", 1);
        var lines = 0;
        var offset = 0L;
        while (lines < 100_000)
        {
            var piece = LogCorpus.Attempt(random, 256 * 1024, DateTimeOffset.UnixEpoch, null);
            var end = piece.Length;
            var count = piece.Count(b => b == (byte)'\n');
            if (lines + count > 100_000)
            {
                var keep = 100_000 - lines;
                end = 0;
                for (var n = 0; n < keep; n++) end = Array.IndexOf(piece, (byte)'\n', end) + 1;
                count = keep;
            }

            await store.AppendAsync(reference, offset, piece.AsMemory(0, end), masker, CancellationToken.None);
            offset += end;
            lines += count;
        }

        await sealer.SealAsync(reference, CancellationToken.None);
        var times = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            var timer = Stopwatch.StartNew();
            await using (var stream = store.OpenRead(reference))
            {
                await new LogPageIndex().IndexAsync(reference.Path + i, stream, CancellationToken.None);
            }

            for (long at = 0; ;)
            {
                var slice = store.Read(reference, at, 8 * 1024 * 1024);
                await using (slice.Content) await slice.Content.CopyToAsync(Stream.Null);
                at = slice.Start + slice.Length;
                if (slice.Length == 0 || at >= slice.Total) break;
            }

            times.Add(timer.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        var size = store.SizeOf(reference)!;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"100,000-line log ({size.Bytes / 1e6:F1} MB, {size.StoredBytes / 1e6:F1} MB compressed): pages + whole log read in {times[3]:F0} ms (median of 7), {times[^1]:F0} ms worst"));
    }

    private static ServiceProvider Services(string root, string? postgres)
    {
        var settings = new PipelinerOptions { DataDir = root };
        IDatabaseProvider database = postgres is null ? new SqliteDatabase(root, settings) : new PostgresDatabase(postgres, settings);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new DataLayout(root));
        services.AddSingleton(Options.Create(settings));
        services.AddSingleton(database);
        services.AddSingleton<ActiveAttempts>();
        services.AddSingleton<LogMasking>();
        services.AddScoped<SecretVault>();
        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        database.AddDbContext(services);
        services.AddLogs(settings.Storage);
        return services.BuildServiceProvider();
    }

    /// <summary>One project, and a run with one job and one attempt per log, as the server records them.</summary>
    private static async Task SeedRunsAsync(ServiceProvider services, int attempts, bool finished = true)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        await services.GetRequiredService<IDatabaseProvider>().MigrateAsync(db, CancellationToken.None);
        var project = new ProjectEntity
        {
            Name = "shop", Repository = "https://example.com/shop.git", Forge = "gitea", WebhookSecretProtected = "-",
            PipelineFile = ".pipeliner.yml", DefaultBranch = "main", CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Projects.Add(project);
        await db.SaveChangesAsync();
        var layout = services.GetRequiredService<DataLayout>();
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 1; i <= attempts + 1; i++)
        {
            var run = new RunEntity
            {
                Id = i, ProjectId = project.Id, Number = i, Status = i % 7 == 0 ? "failed" : "succeeded", Event = "push",
                Branch = i % 3 == 0 ? "develop" : "main", CommitSha = new string('a', 40), Trigger = "benchmark", CreatedAt = start.AddMinutes(i),
            };
            var job = new JobEntity { JobId = "build", Stage = "build", Status = run.Status };
            job.Attempts.Add(new AttemptEntity
            {
                Number = 1, Status = run.Status, StartedAt = run.CreatedAt, FinishedAt = finished ? run.CreatedAt.AddMinutes(1) : null,
                LogPath = LogRef.For(layout, i, "build", 1).Path,
            });
            run.Jobs.Add(job);
            db.Runs.Add(run);
            if (i % 1000 == 0) await db.SaveChangesAsync();
        }

        await db.SaveChangesAsync();
    }
}
