using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;

namespace Pipeliner.Benchmarks;

/// <summary>
/// A retention pass over generated history (docs/performance.md, "Retention"): <c>runs</c> finished runs spread over 90
/// days in 5 projects (one job, one attempt: a ~8 KB log and an ~8 KB artifact each), written straight into a real server
/// (Kestrel on a loopback port, SQLite, no agent) whose log sealer then indexes and compresses every log. The server's
/// default keeps logs 30 days and artifacts 14; <c>POST /api/retention/apply</c> is timed while one client reads a kept
/// run's log and a runs page back to back, and the reads' p50/p95 before and during the pass are compared.
/// <code>dotnet run -c Release --project tests/Pipeliner.Benchmarks -- --retention [runs=10000]</code>
/// </summary>
public static class RetentionBenchmark
{
    private const string Token = "plr_retention-benchmark-token";
    private const int Projects = 5;

    public static async Task RunAsync(TextWriter output, int runs)
    {
        var root = Directory.CreateTempSubdirectory("pipeliner-retentionbench-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args =
                [
                    "--urls", "http://127.0.0.1:0", $"--Pipeliner:DataDir={root}", "--Pipeliner:Agent:Capacity=0", "--Pipeliner:Agent:Backend=shell",
                    $"--Pipeliner:BootstrapToken={Token}", "--Pipeliner:Logs:CatchUpInterval=00:00:01",
                    "--Pipeliner:Retention:Logs:MaxAgeDays=30", "--Pipeliner:Retention:Artifacts:MaxAgeDays=14",
                    "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Pipeliner.Server.Retention=Information",
                ],
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.AddPipeliner();
            await using var app = builder.Build();
            app.UsePipeliner();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

            var seeding = Stopwatch.StartNew();
            var (keptRun, keptProject) = await SeedAsync(app.Services, root, runs);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded {runs} runs (logs and artifacts on disk) in {seeding.Elapsed.TotalSeconds:F1} s"));
            var sealing = Stopwatch.StartNew();
            while (await IndexedLogsAsync(client) < runs) await Task.Delay(500);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the sealer indexed and compressed every log in {sealing.Elapsed.TotalSeconds:F1} s"));

            var usageBefore = await client.GetFromJsonAsync<JsonElement>("/api/usage");
            var indexBefore = await client.GetFromJsonAsync<JsonElement>("/api/admin/search");
            var baseline = await ReadAsync(client, keptRun, keptProject, TimeSpan.FromSeconds(10), CancellationToken.None);

            using var stop = new CancellationTokenSource();
            var during = Task.Run(() => ReadAsync(client, keptRun, keptProject, TimeSpan.FromHours(1), stop.Token));
            var pass = Stopwatch.StartNew();
            using var apply = await client.PostAsync("/api/retention/apply?limit=0", null);
            pass.Stop();
            await stop.CancelAsync();
            var reads = await during;
            apply.EnsureSuccessStatusCode();
            var totals = (await apply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("totals");
            var usageAfter = await client.GetFromJsonAsync<JsonElement>("/api/usage");
            var indexAfter = await client.GetFromJsonAsync<JsonElement>("/api/admin/search");

            long Bytes(JsonElement usage) => usage.GetProperty("logBytes").GetInt64() + usage.GetProperty("artifactBytes").GetInt64();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pass over {runs} runs: {pass.Elapsed.TotalSeconds:F2} s; removed the logs of {totals.GetProperty("logs").GetInt32()} runs " +
                $"({totals.GetProperty("logBytes").GetInt64() / 1e6:F1} MB) and the artifacts of {totals.GetProperty("artifacts").GetInt32()} runs " +
                $"({totals.GetProperty("artifactBytes").GetInt64() / 1e6:F1} MB): {totals.GetProperty("bytes").GetInt64() / 1e6:F1} MB freed"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"disk (GET /api/usage, logs + artifacts): {Bytes(usageBefore) / 1e6:F1} MB before, {Bytes(usageAfter) / 1e6:F1} MB after; " +
                $"search.db {indexBefore.GetProperty("indexBytes").GetInt64() / 1e6:F1} MB before, {indexAfter.GetProperty("indexBytes").GetInt64() / 1e6:F1} MB after"));
            output.WriteLine($"reads before the pass: {Describe(baseline)}");
            output.WriteLine($"reads during the pass: {Describe(reads)}");
            await app.StopAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<long> IndexedLogsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/admin/search")).GetProperty("logs").GetInt64();

    /// <summary>Reads back to back (a kept run's log, then a page of runs) until stopped or the time is up; each read's time in ms.</summary>
    private static async Task<List<double>> ReadAsync(HttpClient client, long run, string project, TimeSpan length, CancellationToken stop)
    {
        var times = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < length && !stop.IsCancellationRequested)
        {
            var path = times.Count % 2 == 0 ? $"/api/runs/{run}/jobs/build/log" : $"/api/projects/{project}/runs?pageSize=50";
            var timer = Stopwatch.StartNew();
            using var response = await client.GetAsync(path, CancellationToken.None);
            await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            response.EnsureSuccessStatusCode();
            times.Add(timer.Elapsed.TotalMilliseconds);
        }

        return times;
    }

    private static string Describe(List<double> times)
    {
        if (times.Count == 0) return "none";
        times.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"{times.Count} reads, p50 {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms");
    }

    /// <summary>The runs, their jobs and attempts in the database, and each one's log and artifact on disk; a recent run to read.</summary>
    private static async Task<(long Run, string Project)> SeedAsync(IServiceProvider services, string root, int runs)
    {
        var now = DateTimeOffset.UtcNow;
        var random = new Random(13);
        var artifact = new byte[8 * 1024];
        random.NextBytes(artifact);
        long kept = 0;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var projects = Enumerable.Range(1, Projects).Select(p => new ProjectEntity
        {
            Name = $"bench-{p}", Repository = "https://example.com/bench.git", Forge = "gitea", WebhookSecretProtected = "-",
            PipelineFile = ".pipeliner.yml", DefaultBranch = "main", CreatedAt = now.AddDays(-100),
        }).ToList();
        db.Projects.AddRange(projects);
        await db.SaveChangesAsync();

        for (var first = 0; first < runs; first += 1000)
        {
            var batch = new List<RunEntity>();
            for (var i = first; i < Math.Min(runs, first + 1000); i++)
            {
                var project = projects[i % Projects];
                var finished = now.AddDays(-90 + 90.0 * i / runs);
                var run = new RunEntity
                {
                    ProjectId = project.Id, Number = ++project.LastRunNumber, Status = "succeeded", Event = "push",
                    Branch = i % 3 == 0 ? $"feature-{i % 10}" : "main", CommitSha = new string('b', 40), Trigger = "benchmark",
                    CreatedAt = finished.AddMinutes(-2), StartedAt = finished.AddMinutes(-2), FinishedAt = finished,
                };
                run.Jobs.Add(new JobEntity { JobId = "build", Stage = "build", Status = "succeeded", FinishedAt = finished });
                batch.Add(run);
            }

            db.Runs.AddRange(batch);
            await db.SaveChangesAsync();
            foreach (var run in batch)
            {
                var job = run.Jobs[0];
                var log = $"runs/{run.Id}/logs/build/1.log";
                job.Attempts.Add(new AttemptEntity { Number = 1, Status = "succeeded", StartedAt = run.StartedAt!.Value, FinishedAt = run.FinishedAt, LogPath = log });
                job.Artifacts.Add(new ArtifactEntity { Path = "out", File = "0.tar", Size = artifact.Length, Sha256 = new string('0', 64) });
                Directory.CreateDirectory(Path.Combine(root, $"runs/{run.Id}/logs/build"));
                await File.WriteAllTextAsync(Path.Combine(root, log), LogText(run, random));
                var folder = Path.Combine(root, $"runs/{run.Id}/artifacts/build");
                Directory.CreateDirectory(folder);
                await File.WriteAllBytesAsync(Path.Combine(folder, "0.tar"), artifact);
                await File.WriteAllTextAsync(Path.Combine(folder, "manifest.json"), "[]");
                kept = run.Id;
            }

            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();
        }

        db.Projects.UpdateRange(projects);
        await db.SaveChangesAsync();
        var keptProject = await db.Runs.Where(r => r.Id == kept).Select(r => r.Project!.Name).FirstAsync();
        return (kept, keptProject);
    }

    /// <summary>About 8 KB of a build's output: timestamps, test lines, an occasional stack trace.</summary>
    private static string LogText(RunEntity run, Random random)
    {
        var text = new StringBuilder(9000);
        var at = run.StartedAt!.Value;
        var line = 0;
        while (text.Length < 8000)
        {
            at = at.AddMilliseconds(random.Next(1, 400));
            text.Append(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(' ');
            text.Append((line++ % 7) switch
            {
                0 => $"  Passed ShopApi.Tests.OrderTests.Checkout_{random.Next(1000)} [{random.Next(1, 90)} ms]",
                1 => $"   at ShopApi.Orders.OrderService.PlaceAsync(Order order) in /src/Orders/OrderService.cs:line {random.Next(20, 400)}",
                2 => $"info: request {Guid.NewGuid():N} GET /api/orders/{random.Next(100000)} answered 200 in {random.Next(1, 50)} ms",
                3 => $"Step {line}/40 : RUN dotnet build -c Release --no-restore (run {run.Number})",
                _ => $"  Compiling module {random.Next(500)} of 500: src/Module{random.Next(500)}/Feature.cs",
            }).Append('\n');
        }

        return text.ToString();
    }
}
