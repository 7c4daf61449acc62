using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Data;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Logs.Search;

/// <summary>
/// Makes final logs searchable and compact: each log whose attempt ended is indexed (its text as shown, the project's
/// secrets masked) and then compressed. Logs arrive from <see cref="ILogStore.CompleteAsync"/> as attempts end; a
/// catch-up pass at start and every <c>Logs:CatchUpInterval</c> takes any ended attempt not indexed yet (a restart, a
/// lost attempt, a rebuilt index), so nothing depends on a notice arriving. One log at a time, off the request path.
/// A damaged index is emptied and rebuilt from the logs.
/// </summary>
public sealed class LogSealer(
    LogCompletions completions, ILogStore store, ILogSearchIndex index, IServiceScopeFactory scopes, ActiveAttempts active, LogMasking masking,
    IOptions<PipelinerOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<LogSealer> logger) : BackgroundService
{
    /// <summary>An attempt that ended this recently may still be receiving its last lines from a remote agent.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private const int BatchSize = 500;
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
                await Guarded(() => SealAsync(log, stoppingToken), log.Path);
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
            foreach (var attempt in batch)
            {
                var ended = attempt.FinishedAt is { } finished && finished <= now - Grace
                    && !active.Contains(new AttemptKey(attempt.RunId, attempt.JobId, attempt.Number));
                if (!ended)
                {
                    blocked = true;
                    continue;
                }

                await _one.WaitAsync(cancellationToken);
                try
                {
                    await SealOneAsync(new LogRef(attempt.RunId, attempt.JobId, attempt.Number, attempt.LogPath), cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    logger.LogError(e, "The log {Log} could not be indexed or compressed; it is tried again at the next catch-up", attempt.LogPath);
                    blocked = true;
                    continue;
                }
                finally
                {
                    _one.Release();
                }

                seen++;
                if (!blocked) caughtUp = attempt.Id;
            }

            from = batch[^1].Id;
            if (caughtUp > 0) await index.SetCaughtUpToAsync(caughtUp, cancellationToken);
        }

        return seen;
    }

    /// <summary>Indexes the log if the index does not hold it, then compresses it.</summary>
    public async Task SealAsync(LogRef log, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken);
        try
        {
            await SealOneAsync(log, cancellationToken);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task SealOneAsync(LogRef log, CancellationToken cancellationToken)
    {
        if (!await index.ContainsAsync(log, cancellationToken) && store.SizeOf(log) is not null)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            var run = await db.Runs.AsNoTracking().Where(r => r.Id == log.RunId)
                .Select(r => new { r.ProjectId, Project = r.Project!.Name, r.Branch, r.Number, r.CreatedAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (run is null) return;
            var masker = await masking.ForProjectAsync(run.ProjectId, cancellationToken);
            await using var content = store.OpenRead(log);
            await index.AddAsync(new IndexedLog(log, run.Project, run.Branch, run.Number, run.CreatedAt),
                LogChunker.ChunksAsync(content, masker, index.LinesPerChunk, cancellationToken), cancellationToken);
        }

        if (options.Value.Logs.CompressFinished) await store.CompressAsync(log, cancellationToken);
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
