namespace Pipeliner.Server.Runs;

/// <summary>
/// Tells every replica on the database that something happened to a run, carrying ids only (the data is read from the
/// database). On PostgreSQL: <c>LISTEN</c>/<c>NOTIFY</c> (<c>Data/Providers/PostgresDoorbell</c>). A replica hears its own
/// rings too.
/// </summary>
public interface IRunEventDoorbell
{
    /// <summary>New events of these runs are stored.</summary>
    Task RingAsync(IReadOnlyCollection<long> runIds, CancellationToken cancellationToken);

    /// <summary>Someone on this replica watches the run: every replica should publish its events.</summary>
    Task AnnounceWatchAsync(long runId, CancellationToken cancellationToken);

    /// <summary>A ring was heard: events of the run (or, for <c>null</c>, of any run: the doorbell reconnected and may have missed some).</summary>
    event Action<long?>? Rang;

    /// <summary>A watch was announced by some replica.</summary>
    event Action<long>? Watched;
}
