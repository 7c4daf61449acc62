using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Logs.Search;

/// <summary>
/// Makes final logs searchable and compact: each log whose attempt ended is indexed (its text as shown, the project's
/// secrets masked) and compressed (as soon as the index has read it, while the index goes on with the next logs).
/// Logs arrive from <see cref="ILogStore.CompleteAsync"/> as attempts end; a catch-up pass at start and every
/// <c>Logs:CatchUpInterval</c> takes any ended attempt not indexed yet (a restart, a lost attempt, a rebuilt index), so
/// nothing depends on a notice arriving. Off the request path, one batch at a time:
/// the logs that ended while a batch was sealed (up to <see cref="MaxBatchLogs"/>) are indexed together, in one write.
/// A damaged index is emptied and rebuilt from the logs.
/// </summary>
public sealed class LogSealer(
    LogCompletions completions, ILogStore store, ILogSearchIndex index, IServiceScopeFactory scopes, ActiveAttempts active, LogMasking masking, IndexedRuns indexedRuns,
    ServerWork work, IOptions<PipelinerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<LogSealer> logger) : BackgroundService
{
    /// <summary>An attempt that ended this recently may still be receiving its last lines from a remote agent.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private const int BatchSize = 500;

    /// <summary>At most this many logs, and about this many bytes of them, are indexed in one write.</summary>
    private const int MaxBatchLogs = 32;

    private const long MaxBatchBytes = 16L << 20;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly SemaphoreSlim _catchUpNow = new(0, 1);

    /// <summary>Empties the index and indexes every final log again, in the background.</summary>
    public async Task RebuildAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            await index.ClearAsync(cancellationToken);
        }
        finally
        {
            _one.Release();
        }

        CatchUpSoon();
    }

    public void CatchUpSoon()
    {
        try
        {
            _catchUpNow.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already asked for.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After start-up (migrations, recovery) has run.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await Task.WhenAll(Task.Run(() => SealCompletedAsync(stoppingToken), stoppingToken), Task.Run(() => CatchUpLoopAsync(stoppingToken), stoppingToken));
    }

    private async Task SealCompletedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var log in completions.Reader.ReadAllAsync(stoppingToken))
            {
                // The logs that ended meanwhile go with it (a burst of runs, a fast stream): one write to the index for all.
                var batch = new List<LogRef> { log };
                var bytes = store.SizeOf(log)?.Bytes ?? 0;
                while (batch.Count < MaxBatchLogs && bytes < MaxBatchBytes && completions.Reader.TryRead(out var next))
                {
                    batch.Add(next);
                    bytes += store.SizeOf(next)?.Bytes ?? 0;
                }

                await Guarded(() => SealAsync(batch, stoppingToken), batch.Count == 1 ? log.Path : $"{batch.Count} logs from {log.Path}");
                work.Note();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CatchUpLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Guarded(() => CatchUpAsync(stoppingToken), "catch-up");
                await _catchUpNow.WaitAsync(options.Value.Logs.CatchUpInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Seals every ended attempt after the last point where all were sealed; returns how many logs it looked at.</summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken)
    {
        var seen = 0;
        var from = await index.GetCaughtUpToAsync(cancellationToken);
        var caughtUp = from;
        var blocked = false;
        while (true)
        {
            List<(long Id, long RunId, string JobId, int Number, string LogPath, DateTimeOffset? FinishedAt)> batch;
            await using (var scope = scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
                batch = (await db.Attempts.AsNoTracking().Where(a => a.Id > from).OrderBy(a => a.Id).Take(BatchSize)
                        .Select(a => new { a.Id, a.Job!.RunId, a.Job.JobId, a.Number, a.LogPath, a.FinishedAt })
                        .ToListAsync(cancellationToken))
                    .Select(a => (a.Id, a.RunId, a.JobId, a.Number, a.LogPath, a.FinishedAt)).ToList();
            }

            if (batch.Count == 0) break;
            var now = time.GetUtcNow();
            var ended = batch.Where(attempt => attempt.FinishedAt is { } finished && finished <= now - Grace
                    && !active.Contains(new AttemptKey(attempt.RunId, attempt.JobId, attempt.Number)))
                .Select(attempt => attempt.Id).ToHashSet();
            var failed = new HashSet<long>();
            var group = new List<(long Id, LogRef Log)>();
            long groupBytes = 0;
            foreach (var attempt in batch.Where(a => ended.Contains(a.Id)))
            {
                var log = new LogRef(attempt.RunId, attempt.JobId, attempt.Number, attempt.LogPath);
                group.Add((attempt.Id, log));
                groupBytes += store.SizeOf(log)?.Bytes ?? 0;
                if (group.Count < MaxBatchLogs && groupBytes < MaxBatchBytes) continue;
                seen += await SealGroupAsync(group, failed, cancellationToken);
                group.Clear();
                groupBytes = 0;
            }

            if (group.Count > 0) seen += await SealGroupAsync(group, failed, cancellationToken);
            foreach (var attempt in batch)
            {
                blocked |= !ended.Contains(attempt.Id) || failed.Contains(attempt.Id);
                if (!blocked) caughtUp = attempt.Id;
            }

            from = batch[^1].Id;
            if (caughtUp > 0) await index.SetCaughtUpToAsync(caughtUp, cancellationToken);
        }

        if (seen > 0) work.Note();
        return seen;
    }

    /// <summary>
    /// Seals a group of ended attempts' logs together; when that fails on a log that cannot be read, each one alone, so
    /// that the others are sealed. Adds the attempts whose log could not be sealed (tried again at the next catch-up) to
    /// <paramref name="failed"/>; returns how many were sealed.
    /// </summary>
    private async Task<int> SealGroupAsync(List<(long Id, LogRef Log)> group, HashSet<long> failed, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            try
            {
                await SealManyAsync([.. group.Select(g => g.Log)], cancellationToken);
                return group.Count;
            }
            catch (Exception e) when (group.Count > 1 && e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // One of them, alone, below.
            }

            foreach (var (id, log) in group)
            {
                try
                {
                    await SealManyAsync([log], cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    logger.LogError(e, "The log {Log} could not be indexed or compressed; it is tried again at the next catch-up", log.Path);
                    failed.Add(id);
                }
            }

            return group.Count(g => !failed.Contains(g.Id));
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Indexes the log if the index does not hold it, then compresses it.</summary>
    public Task SealAsync(LogRef log, CancellationToken cancellationToken) => SealAsync([log], cancellationToken);

    /// <summary>Indexes those of the logs the index does not hold (in one write), then compresses them.</summary>
    public async Task SealAsync(IReadOnlyList<LogRef> logs, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            await SealManyAsync(logs, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task SealManyAsync(IReadOnlyList<LogRef> logs, CancellationToken cancellationToken)
    {
        logs = [.. logs.Distinct()]; // a log completed twice while a batch was sealed
        var missing = new List<LogRef>();
        foreach (var log in logs)
        {
            if (!await index.ContainsAsync(log, cancellationToken) && store.SizeOf(log) is not null) missing.Add(log);
        }

        // A log whose run is gone is left as it is (neither indexed nor compressed).
        var sealable = logs.Except(missing).ToList();
        // Each log is compressed as soon as the index has read it, while the index goes on with the others (a core each).
        var compressions = new List<(LogRef Log, Task Done)>();
        var compress = options.Value.Logs.CompressFinished;
        try
        {
            if (missing.Count > 0)
            {
                var runs = await RunsAsync(missing.Select(l => l.RunId).Distinct().ToList(), cancellationToken);
                var toIndex = new List<LogToIndex>();
                foreach (var log in missing)
                {
                    if (!runs.TryGetValue(log.RunId, out var run)) continue;
                    var masker = await masking.ForProjectAsync(run.ProjectId, cancellationToken);
                    toIndex.Add(new LogToIndex(new IndexedLog(log, run.Project, run.Branch, run.Number, run.Created),
                        ChunksAsync(log, masker, compress ? compressions : null, cancellationToken, cancellationToken)));
                    sealable.Add(log);
                }

                if (toIndex.Count > 0) await index.AddAsync(toIndex, cancellationToken);
            }
        }
        finally
        {
            // Also when indexing failed: nothing is left running (a compressed log is indexed from its compressed form later).
            Task[] started;
            lock (compressions) started = [.. compressions.Select(c => c.Done)];
            await Task.WhenAll(started);
        }

        if (!compress) return;
        foreach (var log in sealable.Except(compressions.Select(c => c.Log))) await store.CompressAsync(log, cancellationToken);
    }

    /// <summary>The runs as the index records them: those this process created as noted, the others read (none for a run that is gone).</summary>
    private async Task<Dictionary<long, IndexedRun>> RunsAsync(List<long> runIds, CancellationToken cancellationToken)
    {
        var runs = new Dictionary<long, IndexedRun>();
        foreach (var id in runIds)
        {
            if (indexedRuns.Find(id) is { } noted) runs[id] = noted;
        }

        if (runs.Count == runIds.Count) return runs;
        var unknown = runIds.Where(id => !runs.ContainsKey(id)).ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var read = await db.Runs.AsNoTracking().Where(r => unknown.Contains(r.Id))
            .Select(r => new { r.Id, r.ProjectId, Project = r.Project!.Name, r.Branch, r.Number, r.CreatedAt })
            .ToListAsync(cancellationToken);
        foreach (var r in read) runs[r.Id] = new IndexedRun(r.ProjectId, r.Project, r.Branch, r.Number, r.CreatedAt);
        return runs;
    }

    /// <summary>
    /// The log's pieces, the log opened only when the index reads them (and closed when it is done); once read to its
    /// end, the log's compression starts (added to <paramref name="compressions"/>; cancelled with <paramref name="sealing"/>,
    /// not with the reading, which the index may stop as soon as it has read all).
    /// </summary>
    private async IAsyncEnumerable<IndexChunk> ChunksAsync(
        LogRef log, SecretMasker masker, List<(LogRef Log, Task Done)>? compressions, CancellationToken sealing,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using (var content = store.OpenRead(log))
        {
            await foreach (var chunk in LogChunker.ChunksAsync(content, masker, index.LinesPerChunk, cancellationToken)) yield return chunk;
        }

        if (compressions is null) yield break;
        lock (compressions) compressions.Add((log, Task.Run(() => store.CompressAsync(log, sealing), CancellationToken.None)));
    }

    private async Task Guarded(Func<Task> action, string what)
    {
        try
        {
            await action();
        }
        catch (LogSearchIndexDamagedException e)
        {
            logger.LogError(e, "The log search index is damaged ({What}); it is emptied and built again from the logs", what);
            await index.ClearAsync(CancellationToken.None);
            CatchUpSoon();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A background service that throws stops the server: log it and let the next catch-up try again.
            logger.LogError(e, "Sealing {What} failed; it is tried again at the next catch-up", what);
        }
    }
}
