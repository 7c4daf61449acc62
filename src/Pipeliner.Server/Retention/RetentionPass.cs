using System.Diagnostics;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Core.Runs;
using Pipeliner.Server.Artifacts;
using Pipeliner.Server.Audit;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Logs.Search;
using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Retention;

/// <summary>One pass at a time in this process (the cluster-wide lock covers replicas).</summary>
public sealed class RetentionGate
{
    public SemaphoreSlim Pass { get; } = new(1, 1);
}

/// <summary>
/// Applies retention: the nightly Hangfire job (<see cref="RecurringJobId"/>, once per cluster; also under a
/// cluster-wide lock) and <c>POST /api/retention/apply</c>. Per run and part, the run is marked first (from then on its
/// reads answer 410 naming the rule), then its files go through the stores and its logs leave the search index; the
/// run's record and statuses stay. Caches are removed through the cache store. The search index is compacted when
/// removals left much of it empty. Every pass is written to the audit log with counts and bytes, per project too.
/// </summary>
public sealed class RetentionPass(
    PipelinerDbContext db, RetentionScanner scanner, ILogStore logs, IArtifactStore artifacts, ICacheStore caches,
    ILogSearchIndex index, IDatabaseProvider database, RetentionGate gate, AuditTrail audit, TimeProvider time, ILogger<RetentionPass> logger)
{
    public const string RecurringJobId = "apply-retention";
    public const int DefaultListLimit = 1000;
    public const int MaxListLimit = 100_000;
    private const int Batch = 200;
    private const int FileRemovers = 4;

    /// <summary>A pass interrupted after marking runs left their files: the next pass removes those of runs marked this recently.</summary>
    private static readonly TimeSpan Leftovers = TimeSpan.FromDays(2);

    private static readonly string[] Finished = [.. Enum.GetValues<RunStatus>().Where(s => s.IsFinished()).Select(s => s.ToName())];

    public async Task<RetentionReport> PreviewAsync(string? project, int limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var plan = await scanner.PlanAsync(project, now, cancellationToken);
        return Report(applied: false, now, clock, plan.Runs.Select(r => Item(r, r.LogBytes, r.ArtifactBytes)).ToList(),
            plan.Caches.Select(c => CacheItem(c, c.Cache.Bytes)).ToList(), limit, indexFreed: 0);
    }

    /// <summary>The nightly job: the whole server, by "system".</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task ApplyScheduledAsync()
    {
        var report = await ApplyAsync(project: null, DefaultListLimit, CancellationToken.None);
        if (report is null) logger.LogInformation("A retention pass is running already; the scheduled one is skipped");
    }

    /// <summary>Runs a pass now; null when one is running in this process already.</summary>
    public async Task<RetentionReport?> ApplyAsync(string? project, int limit, CancellationToken cancellationToken)
    {
        if (!await gate.Pass.WaitAsync(TimeSpan.Zero, cancellationToken)) return null;
        try
        {
            await using var cluster = await database.LockAsync(db, ClusterLock.Retention, 0, cancellationToken);
            return await ApplyLockedAsync(project, limit, cancellationToken);
        }
        finally
        {
            gate.Pass.Release();
        }
    }

    private async Task<RetentionReport> ApplyLockedAsync(string? project, int limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var now = time.GetUtcNow();
        await RemoveLeftoversAsync(now, cancellationToken);
        var leftovers = clock.Elapsed;
        var plan = await scanner.PlanAsync(project, now, cancellationToken);
        var planned = clock.Elapsed;
        TimeSpan marking = TimeSpan.Zero, files = TimeSpan.Zero, indexing = TimeSpan.Zero;
        var done = new List<RetentionRunItem>();
        foreach (var batch in plan.Runs.Chunk(Batch))
        {
            var phase = Stopwatch.StartNew();
            var logsGone = await MarkAsync(batch.Where(r => r.LogsReason is not null).ToList(), RetentionPart.Logs, now, cancellationToken);
            var artifactsGone = await MarkAsync(batch.Where(r => r.ArtifactsReason is not null).ToList(), RetentionPart.Artifacts, now, cancellationToken);
            marking += phase.Elapsed;
            phase.Restart();
            // Files of several runs at once: removing them waits on the disk more than on the processor.
            var removedRuns = new System.Collections.Concurrent.ConcurrentBag<RetentionRunItem>();
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = FileRemovers, CancellationToken = cancellationToken }, async (run, token) =>
            {
                long logBytes = 0, artifactBytes = 0;
                if (logsGone.Contains(run.RunId))
                {
                    foreach (var log in run.Logs) logBytes += await logs.DeleteAsync(log, token);
                }

                if (artifactsGone.Contains(run.RunId)) artifactBytes = await artifacts.DeleteAsync(run.RunId, token);
                if (logsGone.Contains(run.RunId) || artifactsGone.Contains(run.RunId))
                {
                    removedRuns.Add(new RetentionRunItem(run.RunId, run.Project, run.Number, run.Branch, run.FinishedAt,
                        logsGone.Contains(run.RunId) ? run.LogsReason : null, logBytes,
                        artifactsGone.Contains(run.RunId) ? run.ArtifactsReason : null, artifactBytes));
                }
            });
            done.AddRange(removedRuns.OrderBy(r => r.Project, StringComparer.Ordinal).ThenBy(r => r.Number));
            files += phase.Elapsed;
            phase.Restart();
            await index.RemoveRunsAsync(logsGone, cancellationToken);
            indexing += phase.Elapsed;
        }

        var removed = clock.Elapsed;
        var cachesDone = new List<RetentionCacheItem>();
        foreach (var cache in plan.Caches) cachesDone.Add(CacheItem(cache, await caches.DeleteAsync(cache.Cache, cancellationToken)));
        var indexFreed = done.Any(r => r.Logs is not null) ? await index.CompactAsync(cancellationToken) : 0;

        var report = Report(applied: true, now, clock, done, cachesDone, limit, indexFreed);
        await AuditAsync(report, done, cachesDone, project, cancellationToken);
        logger.LogInformation("Retention pass phases: leftovers {Leftovers} ms, plan {Plan} ms, marking {Marking} ms, files {Files} ms, " +
                              "search index {Index} ms, caches and compaction {Rest} ms",
            (long)leftovers.TotalMilliseconds, (long)(planned - leftovers).TotalMilliseconds, (long)marking.TotalMilliseconds,
            (long)files.TotalMilliseconds, (long)indexing.TotalMilliseconds, (long)(clock.Elapsed - removed).TotalMilliseconds);
        logger.LogInformation("Retention removed the logs of {Logs} runs, the artifacts of {Artifacts} runs and {Caches} caches: {Bytes} bytes in {Ms} ms",
            report.Totals.Logs, report.Totals.Artifacts, report.Totals.Caches, report.Totals.Bytes, report.TookMs);
        return report;
    }

    /// <summary>Marks the part of these runs expired, only where it still may go (finished, not pinned meanwhile); returns those marked.</summary>
    private async Task<HashSet<long>> MarkAsync(List<PlannedRun> runs, RetentionPart part, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var marked = new HashSet<long>();
        foreach (var byReason in runs.GroupBy(r => part == RetentionPart.Logs ? r.LogsReason! : r.ArtifactsReason!))
        {
            var ids = byReason.Select(r => r.RunId).ToList();
            var reason = byReason.Key;
            var eligible = db.Runs.Where(r => ids.Contains(r.Id) && r.PinnedAt == null && Finished.Contains(r.Status));
            if (part == RetentionPart.Logs)
            {
                var still = await eligible.Where(r => r.LogsExpiredAt == null).Select(r => r.Id).ToListAsync(cancellationToken);
                await db.Runs.Where(r => still.Contains(r.Id) && r.PinnedAt == null)
                    .ExecuteUpdateAsync(set => set.SetProperty(r => r.LogsExpiredAt, now).SetProperty(r => r.LogsExpiry, reason), cancellationToken);
                marked.UnionWith(still);
            }
            else
            {
                var still = await eligible.Where(r => r.ArtifactsExpiredAt == null).Select(r => r.Id).ToListAsync(cancellationToken);
                await db.Runs.Where(r => still.Contains(r.Id) && r.PinnedAt == null)
                    .ExecuteUpdateAsync(set => set.SetProperty(r => r.ArtifactsExpiredAt, now).SetProperty(r => r.ArtifactsExpiry, reason), cancellationToken);
                marked.UnionWith(still);
            }
        }

        return marked;
    }

    /// <summary>Files of runs marked expired lately that are still there (a pass stopped between marking and removing).</summary>
    private async Task RemoveLeftoversAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var since = now - Leftovers;
        var expiredLogs = await db.Attempts.AsNoTracking().Where(a => a.Job!.Run!.LogsExpiredAt >= since)
            .Select(a => new { a.Job!.RunId, a.Job.JobId, a.Number, a.LogPath }).ToListAsync(cancellationToken);
        var touched = new HashSet<long>();
        foreach (var a in expiredLogs)
        {
            var log = new LogRef(a.RunId, a.JobId, a.Number, a.LogPath);
            if (logs.StoredBytes(log) == 0) continue;
            await logs.DeleteAsync(log, cancellationToken);
            touched.Add(a.RunId);
        }

        await index.RemoveRunsAsync(touched, cancellationToken);
        foreach (var run in await db.Runs.AsNoTracking().Where(r => r.ArtifactsExpiredAt >= since).Select(r => r.Id).ToListAsync(cancellationToken))
            await artifacts.DeleteAsync(run, cancellationToken);
    }

    private async Task AuditAsync(
        RetentionReport report, List<RetentionRunItem> runs, List<RetentionCacheItem> cachesDone, string? project, CancellationToken cancellationToken)
    {
        foreach (var name in runs.Select(r => r.Project).Concat(cachesDone.Select(c => c.Project)).Distinct(StringComparer.Ordinal))
        {
            var own = Totals(runs.Where(r => r.Project == name).ToList(), cachesDone.Where(c => c.Project == name).ToList());
            audit.Add(new AuditEvent("retention.apply", name, $"project {name}", Describe(own)));
        }

        audit.Add(new AuditEvent("retention.apply", project, project is null ? "all projects" : $"project {project}",
            $"{Describe(report.Totals)}; search index compacted by {new ByteSize(report.SearchIndexBytesFreed)}; took {report.TookMs} ms"));
        await db.SaveChangesAsync(cancellationToken);
    }

    private static string Describe(RetentionTotals totals) =>
        $"removed the logs of {totals.Logs} runs ({totals.LogBytes} bytes), the artifacts of {totals.Artifacts} runs ({totals.ArtifactBytes} bytes) " +
        $"and {totals.Caches} caches ({totals.CacheBytes} bytes): {totals.Bytes} bytes ({new ByteSize(totals.Bytes)}) in all";

    private static RetentionReport Report(
        bool applied, DateTimeOffset now, Stopwatch clock, List<RetentionRunItem> runs, List<RetentionCacheItem> cacheItems, int limit, long indexFreed) =>
        new(applied, now, clock.ElapsedMilliseconds, Totals(runs, cacheItems), runs.Take(limit).ToList(), cacheItems.Take(limit).ToList(),
            runs.Count > limit || cacheItems.Count > limit, indexFreed);

    private static RetentionTotals Totals(List<RetentionRunItem> runs, List<RetentionCacheItem> cacheItems)
    {
        var logBytes = runs.Sum(r => r.LogBytes);
        var artifactBytes = runs.Sum(r => r.ArtifactBytes);
        var cacheBytes = cacheItems.Sum(c => c.Bytes);
        return new RetentionTotals(runs.Count, runs.Count(r => r.Logs is not null), logBytes, runs.Count(r => r.Artifacts is not null), artifactBytes,
            cacheItems.Count, cacheBytes, logBytes + artifactBytes + cacheBytes);
    }

    private static RetentionRunItem Item(PlannedRun run, long logBytes, long artifactBytes) => new(
        run.RunId, run.Project, run.Number, run.Branch, run.FinishedAt, run.LogsReason, logBytes, run.ArtifactsReason, artifactBytes);

    private static RetentionCacheItem CacheItem(CacheExpiry cache, long bytes) =>
        new(cache.Cache.Project, cache.Cache.Scope, cache.Cache.Key, cache.Cache.SavedAt, bytes, cache.Reason);
}
