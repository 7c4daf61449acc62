using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Pipeliner.Server.Runs;

/// <summary>
/// Live events per run for the SSE endpoint. A run is watched from its first subscriber on: from then its events
/// are kept (the most recent ones) even while nobody is connected, so a client that reconnects with Last-Event-ID
/// gets exactly what it missed (of the run's statuses, the newest one: each is the whole run). A run nobody has watched
/// for <see cref="RetainFor"/> is forgotten. Ids count per run in this process: the bus of a single server (SQLite).
/// </summary>
public sealed class InMemoryRunEvents(TimeProvider time) : IRunEvents
{
    public static readonly TimeSpan RetainFor = TimeSpan.FromMinutes(10);
    private const int Retained = 2000;
    private readonly ConcurrentDictionary<long, RunEventStream> _streams = new();

    /// <summary>True when events of the run are wanted: publishers skip the work of building them otherwise.</summary>
    public bool IsWatched(long runId) => _streams.ContainsKey(runId);

    public void Publish(long runId, string type, string data)
    {
        if (_streams.TryGetValue(runId, out var stream)) stream.Publish(type, data);
    }

    /// <summary>Events after <paramref name="lastSeen"/> that are still retained, then every new one.</summary>
    public Task<RunEventSubscription> SubscribeAsync(long runId, long lastSeen, CancellationToken cancellationToken)
    {
        ForgetIdle();
        var (backlog, live, handle) = _streams.GetOrAdd(runId, _ => new RunEventStream(time)).Subscribe(lastSeen);
        return Task.FromResult(new RunEventSubscription(backlog, live, handle));
    }

    private void ForgetIdle()
    {
        var before = time.GetUtcNow() - RetainFor;
        foreach (var (runId, stream) in _streams)
        {
            if (stream.IsIdleSince(before)) _streams.TryRemove(new KeyValuePair<long, RunEventStream>(runId, stream));
        }
    }

    private sealed class RunEventStream(TimeProvider time)
    {
        private readonly Lock _gate = new();
        private readonly Queue<RunEvent> _recent = new();
        private RunEvent? _status;
        private readonly List<Channel<RunEvent>> _subscribers = [];
        private long _sequence;
        private DateTimeOffset _lastActivity;

        public bool IsIdleSince(DateTimeOffset moment)
        {
            lock (_gate) return _subscribers.Count == 0 && _lastActivity < moment;
        }

        public void Publish(string type, string data)
        {
            lock (_gate)
            {
                var item = new RunEvent(++_sequence, type, data);
                // A status is the whole run: only the newest one is worth keeping for a client that reconnects (a big run's
                // status is megabytes; two thousand of them were gigabytes).
                if (type == IRunEvents.StatusType) _status = item;
                else
                {
                    _recent.Enqueue(item);
                    if (_recent.Count > Retained) _recent.Dequeue();
                }

                _lastActivity = time.GetUtcNow();
                foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(item);
            }
        }

        public (IReadOnlyList<RunEvent>, ChannelReader<RunEvent>, IDisposable) Subscribe(long lastSeen)
        {
            // Bounded: a client too slow to keep up loses old log lines rather than the server's memory.
            var channel = Channel.CreateBounded<RunEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
            lock (_gate)
            {
                _subscribers.Add(channel);
                _lastActivity = time.GetUtcNow();
                var backlog = _recent.Where(e => e.Sequence > lastSeen).ToList();
                if (_status is { } status && status.Sequence > lastSeen)
                    backlog.Insert(backlog.FindIndex(e => e.Sequence > status.Sequence) is var i and >= 0 ? i : backlog.Count, status);
                return (backlog, channel.Reader, new Unsubscriber(this, channel));
            }
        }

        private void Remove(Channel<RunEvent> channel)
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
                _lastActivity = time.GetUtcNow();
            }

            channel.Writer.TryComplete();
        }

        private sealed class Unsubscriber(RunEventStream stream, Channel<RunEvent> channel) : IDisposable
        {
            public void Dispose() => stream.Remove(channel);
        }
    }
}
