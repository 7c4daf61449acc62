using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.Runs;

/// <summary>
/// Live events that replicas share: each event is a <see cref="RunEventEntity"/> row, whose id is the event's id on every
/// replica, and the doorbell tells every replica which runs have new rows; a subscriber reads them from the database.
/// Events are written in the background, in order, in batches (a job's log lines arrive by the hundred); rows older than
/// <see cref="InMemoryRunEvents.RetainFor"/> are removed. A run counts as watched when a subscriber on any replica
/// announced it within that time (and during that long after this replica started, when it cannot know yet).
/// </summary>
public sealed class DatabaseRunEvents(
    IServiceScopeFactory scopes, IRunEventDoorbell doorbell, TimeProvider time, ILogger<DatabaseRunEvents> logger) : BackgroundService, IRunEvents
{
    private const int Retained = 2000;
    private const int BatchSize = 1000;

    /// <summary>How often a subscriber's watch is announced again; a replica assumes every run is watched for this long after it starts.</summary>
    public static readonly TimeSpan WatchRenewal = TimeSpan.FromMinutes(1);

    /// <summary>A subscriber reads the database this often even without a ring (a ring lost while the doorbell reconnected).</summary>
    public static readonly TimeSpan Fallback = TimeSpan.FromSeconds(5);

    /// <summary>How long after it was published an event may still become visible (its batch's transaction committing late).</summary>
    public static readonly TimeSpan LateCommits = TimeSpan.FromSeconds(5);

    private readonly Channel<RunEventEntity> _outbox = Channel.CreateUnbounded<RunEventEntity>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, DateTimeOffset> _watched = new();
    private readonly ConcurrentDictionary<long, RunSignal> _signals = new();
    private readonly DateTimeOffset _started = time.GetUtcNow();

    public bool IsWatched(long runId)
    {
        var now = time.GetUtcNow();
        if (now - _started < WatchRenewal * 2) return true;
        return _watched.TryGetValue(runId, out var until) && until > now;
    }

    public void Publish(long runId, string type, string data) =>
        _outbox.Writer.TryWrite(new RunEventEntity { RunId = runId, Type = type, Data = data, CreatedAt = time.GetUtcNow() });

    public async Task<RunEventSubscription> SubscribeAsync(long runId, long lastSeen, CancellationToken cancellationToken)
    {
        Watch(runId);
        await doorbell.AnnounceWatchAsync(runId, cancellationToken);
        var backlog = await ReadAsync(runId, lastSeen, newest: true, cancellationToken);
        var from = backlog.Count > 0 ? backlog[^1].Sequence : Math.Max(lastSeen, await NewestAsync(runId, cancellationToken));
        var channel = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        var stop = new CancellationTokenSource();
        var signal = _signals.GetOrAdd(runId, _ => new RunSignal());
        var pump = PumpAsync(runId, from, signal, channel.Writer, stop.Token);
        return new RunEventSubscription(backlog, channel.Reader, new Subscription(this, runId, stop, pump));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        doorbell.Rang += OnRang;
        doorbell.Watched += Watch;
        try
        {
            await Task.WhenAll(WriteAsync(stoppingToken), ForgetOldAsync(stoppingToken));
        }
        finally
        {
            doorbell.Rang -= OnRang;
            doorbell.Watched -= Watch;
        }
    }

    private void Watch(long runId)
    {
        var until = time.GetUtcNow() + InMemoryRunEvents.RetainFor;
        _watched.AddOrUpdate(runId, until, (_, before) => before > until ? before : until);
    }

    private void OnRang(long? runId)
    {
        if (runId is { } one)
        {
            if (_signals.TryGetValue(one, out var signal)) signal.Ring();
            return;
        }

        foreach (var signal in _signals.Values) signal.Ring();
    }

    /// <summary>Stores published events in order, a batch at a time, and rings for the runs that got some.</summary>
    private async Task WriteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<RunEventEntity>(BatchSize);
        while (await _outbox.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < BatchSize && _outbox.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await using (var scope = scopes.CreateAsyncScope())
                {
                    var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
                    db.RunEvents.AddRange(batch);
                    await db.SaveChangesAsync(stoppingToken);
                }

                await doorbell.RingAsync([.. batch.Select(e => e.RunId).Distinct()], stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Live events are a convenience: the run's state and logs are stored elsewhere. Drop the batch, keep serving.
                logger.LogWarning(e, "Could not store {Count} live run events", batch.Count);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }

            batch.Clear();
        }
    }

    /// <summary>Removes events nobody can resume from any more, and renews the watches of this replica's subscribers.</summary>
    private async Task ForgetOldAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(WatchRenewal, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var (runId, signal) in _signals)
                {
                    if (signal.Subscribers > 0) await doorbell.AnnounceWatchAsync(runId, stoppingToken);
                }

                var before = time.GetUtcNow() - InMemoryRunEvents.RetainFor;
                foreach (var (runId, until) in _watched)
                {
                    if (until < time.GetUtcNow()) _watched.TryRemove(new KeyValuePair<long, DateTimeOffset>(runId, until));
                }

                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
                await db.RunEvents.Where(e => e.CreatedAt < before).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not remove old live run events");
            }
        }
    }

    /// <summary>
    /// Feeds one subscriber: each ring (or every few seconds) reads what came after what it has. Ids are handed out when
    /// a row is inserted but become visible when its transaction commits, so a replica's event can appear after a higher
    /// id of another's: rows of the last <see cref="LateCommits"/> are read again and those not yet sent are sent.
    /// </summary>
    private async Task PumpAsync(long runId, long from, RunSignal signal, ChannelWriter<RunEvent> writer, CancellationToken cancellationToken)
    {
        signal.Add();
        var last = from;
        var sent = new Dictionary<long, DateTimeOffset>();
        try
        {
            // What the subscriber has (or had before it reconnected) is not sent again.
            var seeded = time.GetUtcNow();
            foreach (var item in await ReadNewAsync(runId, long.MaxValue, seeded - LateCommits, cancellationToken))
            {
                if (item.Sequence <= from) sent[item.Sequence] = seeded;
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                var rang = signal.WaitAsync(cancellationToken);
                try
                {
                    var now = time.GetUtcNow();
                    foreach (var item in await ReadNewAsync(runId, last, now - LateCommits, cancellationToken))
                    {
                        if (!sent.TryAdd(item.Sequence, now)) continue;
                        writer.TryWrite(item);
                        last = Math.Max(last, item.Sequence);
                    }

                    foreach (var (id, at) in sent)
                    {
                        if (at < now - LateCommits * 2) sent.Remove(id);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug(e, "Could not read live events of run {RunId}; trying again", runId);
                }

                await Task.WhenAny(rang, Task.Delay(Fallback, time, cancellationToken));
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            signal.Remove();
            writer.TryComplete();
        }
    }

    /// <summary>Events of the run after <paramref name="after"/>: the oldest <see cref="Retained"/>, or with <paramref name="newest"/> the newest ones.</summary>
    private async Task<List<RunEvent>> ReadAsync(long runId, long after, bool newest, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        var rows = db.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Id > after);
        var picked = newest ? rows.OrderByDescending(e => e.Id) : rows.OrderBy(e => e.Id);
        var events = await picked.Take(Retained).Select(e => new RunEvent(e.Id, e.Type, e.Data)).ToListAsync(cancellationToken);
        if (newest) events.Reverse();
        return events;
    }

    private async Task<List<RunEvent>> ReadNewAsync(long runId, long after, DateTimeOffset recent, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId && (e.Id > after || e.CreatedAt > recent))
            .OrderBy(e => e.Id).Take(Retained).Select(e => new RunEvent(e.Id, e.Type, e.Data)).ToListAsync(cancellationToken);
    }

    private async Task<long> NewestAsync(long runId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
        return await db.RunEvents.Where(e => e.RunId == runId).MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
    }

    private void Unsubscribe(long runId)
    {
        Watch(runId);
        if (_signals.TryGetValue(runId, out var signal) && signal.Subscribers == 0)
            _signals.TryRemove(new KeyValuePair<long, RunSignal>(runId, signal));
    }

    /// <summary>Wakes the subscribers of one run on this replica.</summary>
    private sealed class RunSignal
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _subscribers;

        public int Subscribers => Volatile.Read(ref _subscribers);

        public void Add() => Interlocked.Increment(ref _subscribers);

        public void Remove() => Interlocked.Decrement(ref _subscribers);

        public Task WaitAsync(CancellationToken cancellationToken)
        {
            lock (_gate) return _next.Task.WaitAsync(cancellationToken);
        }

        public void Ring()
        {
            TaskCompletionSource rung;
            lock (_gate)
            {
                rung = _next;
                _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            rung.TrySetResult();
        }
    }

    private sealed class Subscription(DatabaseRunEvents owner, long runId, CancellationTokenSource stop, Task pump) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            stop.Cancel();
            pump.ContinueWith(_ =>
            {
                stop.Dispose();
                owner.Unsubscribe(runId);
            }, TaskScheduler.Default);
        }
    }
}
