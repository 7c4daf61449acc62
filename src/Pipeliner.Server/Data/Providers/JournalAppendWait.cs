using System.Globalization;

namespace Pipeliner.Server.Data.Providers;

/// <summary>What the journal's writer was doing when an append was handed to it.</summary>
public enum JournalWriterWork
{
    Idle,
    Append,
    Removal,
    Answer,
}

/// <summary>
/// Where one append to the intake journal spent its time, in milliseconds (<see cref="JournalWriter"/>): until the writer took it (what the
/// writer was doing when it was handed over, and how much of the wait the writer's thread spent waiting for a core), then
/// the write itself. Read by the intake's Debug line on the thread the append's caller continues on.
/// </summary>
public readonly record struct JournalAppendWait(JournalWriterWork Found, double WaitedMs, double WaitedForCoreMs, double WriteMs, double WriteForCoreMs)
{
    /// <summary>The last append completed on this thread, for its caller to <see cref="Take"/> right after its await.</summary>
    [ThreadStatic]
    public static JournalAppendWait? Last;

    /// <summary>
    /// The wait of the append the caller has just awaited, taken so that no later caller on this thread sees it; null in the
    /// rare case its await continued on another thread than the append was completed on (the append done before the await began).
    /// </summary>
    public static JournalAppendWait? Take()
    {
        var last = Last;
        Last = null;
        return last;
    }

    /// <summary>True when the append was made on its caller's thread, nothing before it.</summary>
    public bool OnCallersThread { get; init; }

    public override string ToString() => OnCallersThread
        ? string.Create(CultureInfo.InvariantCulture, $"journal: written on the request's thread in {WriteMs:0.0}")
        : string.Create(CultureInfo.InvariantCulture,
            $"journal: writer {Found.ToString().ToLowerInvariant()}, taken after {WaitedMs:0.0} ({WaitedForCoreMs:0.0} waiting for a core), written in {WriteMs:0.0} ({WriteForCoreMs:0.0} waiting for a core)");
}
