using System.Threading.Channels;

namespace Pipeliner.Server.Runs;

/// <summary>One server-sent event of a run: <c>status</c> (the run and its jobs), <c>log</c> (a log line) or <c>note</c>.</summary>
public sealed record RunEvent(long Sequence, string Type, string Data);

/// <summary>What a subscriber gets: the retained events after the id it last saw, then every new one, until disposed.</summary>
public sealed record RunEventSubscription(IReadOnlyList<RunEvent> Backlog, ChannelReader<RunEvent> Live, IDisposable Handle) : IDisposable
{
    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// Live events per run for <c>GET /api/runs/{id}/events</c>. Chosen by the database provider: in memory for one server
/// (<see cref="InMemoryRunEvents"/>), in the database with a doorbell when replicas share it
/// (<see cref="DatabaseRunEvents"/>), so that a stream on any replica shows changes made through every replica and an
/// event's id (<c>Last-Event-ID</c>) means the same on all of them.
/// </summary>
public interface IRunEvents
{
    /// <summary>The type of the event that carries the whole run (its status and its jobs').</summary>
    const string StatusType = "status";

    /// <summary>True when events of the run may be wanted: publishers skip the work of building them otherwise.</summary>
    bool IsWatched(long runId);

    /// <summary>Publishes an event without waiting for it to be delivered (in order per run).</summary>
    void Publish(long runId, string type, string data);

    /// <summary>Events after <paramref name="lastSeen"/> that are still retained, then every new one.</summary>
    Task<RunEventSubscription> SubscribeAsync(long runId, long lastSeen, CancellationToken cancellationToken);
}
