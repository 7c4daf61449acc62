using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Search.Postgres;
using Pipeliner.Server.Logs.Search.Sqlite;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Benchmarks;

/// <summary>
/// Where sealing's CPU goes, phase by phase, on a warm process (the corpus held in memory, so no log store):
/// cutting logs into pieces as shown and masked (<see cref="LogChunker"/>), indexing them (the index of the database,
/// the chunking included) and compressing them (<see cref="CompressedLog"/>). CPU seconds of this process, and of
/// PostgreSQL's backends on PostgreSQL.
/// <code>dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --seal-breakdown [attempts=300] [kb=100] [sqlite|postgres]</code>
/// </summary>
public static class SealBreakdown
{
    public static async Task RunAsync(TextWriter output, int attempts, int kilobytes, string? postgres)
    {
        var root = Directory.CreateTempSubdirectory("pipeliner-sealbench-").FullName;
        try
        {
            var random = new Random(42);
            var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
            var logs = Enumerable.Range(1, attempts).Select(i => LogCorpus.Attempt(random, kilobytes * 1024, start.AddMinutes(i), null)).ToList();
            var mb = logs.Sum(l => (long)l.Length) / 1e6;
            var masker = new SecretMasker(["hunter2-secret-value", "AKIAEXAMPLEKEY123"]);
            var cpu = new CpuClock(postgres is null ? null : new Npgsql.NpgsqlConnectionStringBuilder(postgres).Database);
            ILogSearchIndex index = postgres is null
                ? new SqliteLogSearchIndex(Path.Combine(root, "search.db"), NullLogger<SqliteLogSearchIndex>.Instance)
                : new PostgresLogSearchIndex(postgres, NullLogger<PostgresLogSearchIndex>.Instance);
            if (postgres is not null) await index.ClearAsync(CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{attempts} logs, {mb:F1} MB; load average {CpuClock.LoadAverage()}"));

            async Task<(double Here, double Database)> Measure(string name, Func<int, byte[], Task> each)
            {
                // Warm up on a few logs (JIT), then measure all of them.
                for (var i = 0; i < Math.Min(100, logs.Count); i++) await each(-1 - i, logs[i]);
                var (here, database) = (cpu.ProcessSeconds, cpu.DatabaseSeconds);
                for (var i = 0; i < logs.Count; i++) await each(i, logs[i]);
                var spent = (cpu.ProcessSeconds - here, cpu.DatabaseSeconds - database);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: {spent.Item1:F2} s here + {spent.Item2:F2} s in the database = {mb / (spent.Item1 + spent.Item2):F1} MB per CPU-second"));
                return spent;
            }

            var pending = new List<LogToIndex>();
            await Measure("pieces (shown, masked)", async (_, log) =>
            {
                await foreach (var piece in LogChunker.ChunksAsync(new MemoryStream(log), masker, index.LinesPerChunk, CancellationToken.None))
                {
                }
            });
            await Measure("index, one log per write (pieces included)", (i, log) =>
            {
                var reference = new LogRef(i + 1000, "build", 1, $"runs/{i + 1000}/build-1.log");
                return index.AddAsync(new IndexedLog(reference, "shop", "main", i + 1000, start), LogChunker.ChunksAsync(new MemoryStream(log), masker, index.LinesPerChunk, CancellationToken.None), CancellationToken.None);
            });
            var batches = 0;
            await Measure("index, 32 logs per write (pieces included)", async (i, log) =>
            {
                // Each call adds one log to the batch; every 32nd writes them (the warm-up's in a batch of their own).
                pending.Add(new LogToIndex(new IndexedLog(new LogRef(i + 100_000, "build", 1, $"runs/{i}/b.log"), "shop", "main", i, start),
                    LogChunker.ChunksAsync(new MemoryStream(log), masker, index.LinesPerChunk, CancellationToken.None)));
                if (pending.Count == 32 || i == -10 || i == logs.Count - 1 || i == -Math.Min(100, logs.Count))
                {
                    await index.AddAsync(pending, CancellationToken.None);
                    pending.Clear();
                    batches++;
                }
            });
            await Measure("compress", async (i, log) => await CompressedLog.WriteAsync(new MemoryStream(log), Path.Combine(root, "log.zst"), CancellationToken.None));
            var stats = await index.StatsAsync(CancellationToken.None);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"index: {stats.IndexBytes / 1e6:F1} MB = {(double)stats.IndexBytes / stats.TextBytes:F2}x ({stats.Chunks} pieces); load average {CpuClock.LoadAverage()}"));
            (index as IDisposable)?.Dispose();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }
}
