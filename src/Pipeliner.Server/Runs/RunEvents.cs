using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Pipeliner.Server.Runs;

/// <summary>One server-sent event of a run: <c>status</c> (the run and its jobs) or <c>log</c> (a log line).</summary>
public sealed record RunEvent(long Sequence, string Type, string Data);

/// <summary>
/// Live events per run for the SSE endpoint. Each run keeps its recent events so a reconnecting client resumes
/// after the last one it saw (Last-Event-ID); older gaps are filled by the client reading the run and logs again.
/// </summary>
public sealed class RunEvents
{
    private const int Retained = 2000;
    private readonly ConcurrentDictionary<long, RunEventStream> _streams = new();

    public bool HasSubscribers(long runId) => _streams.TryGetValue(runId, out var stream) && stream.SubscriberCount > 0;

    public void Publish(long runId, string type, string data) => _streams.GetOrAdd(runId, _ => new RunEventStream()).Publish(type, data);

    /// <summary>Events after <paramref name="lastSeen"/> that are still retained, then every new one.</summary>
    public (IReadOnlyList<RunEvent> Backlog, ChannelReader<RunEvent> Live, IDisposable Subscription) Subscribe(long runId, long lastSeen) =>
        _streams.GetOrAdd(runId, _ => new RunEventStream()).Subscribe(lastSeen);

    private sealed class RunEventStream
    {
        private readonly Lock _gate = new();
        private readonly Queue<RunEvent> _recent = new();
        private readonly List<Channel<RunEvent>> _subscribers = [];
        private long _sequence;

        public int SubscriberCount
        {
            get
            {
                lock (_gate) return _subscribers.Count;
            }
        }

        public void Publish(string type, string data)
        {
            lock (_gate)
            {
                var item = new RunEvent(++_sequence, type, data);
                _recent.Enqueue(item);
                if (_recent.Count > Retained) _recent.Dequeue();
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
                return (_recent.Where(e => e.Sequence > lastSeen).ToList(), channel.Reader, new Unsubscriber(this, channel));
            }
        }

        private void Remove(Channel<RunEvent> channel)
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }

        private sealed class Unsubscriber(RunEventStream stream, Channel<RunEvent> channel) : IDisposable
        {
            public void Dispose() => stream.Remove(channel);
        }
    }
}
