namespace Pipeliner.Server.Hosting;

/// <summary>
/// Work this process did that its CPU time alone does not tell apart from idleness: an attempt claimed or ended, a
/// Hangfire job performed, logs sealed. The idle page-out (<see cref="IdleMemoryTrim"/>) takes what idleness reads back
/// at once only from a window in which none of it happened and no attempt was in flight: the end of a run or a catch-up's
/// sealing can use less than the quiet share of a core, and its pages then counted as idleness's own and stayed resident
/// for good (docs/performance.md).
/// </summary>
public sealed class ServerWork
{
    private long _done;

    /// <summary>How many pieces of work were noted since the start; a change between two looks means work happened.</summary>
    public long Done => Interlocked.Read(ref _done);

    public void Note() => Interlocked.Increment(ref _done);
}
