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
/// Where one append to the intake journal spent its time (<see cref="JournalWriter"/>): until the writer took it (what the
/// writer was doing when it was handed over, and how much of the wait the writer's thread spent waiting for a core), then
/// the write itself. Read by the intake's Debug line on the thread the append's caller continues on.
/// </summary>
public readonly record struct JournalAppendWait(JournalWriterWork Found, double WaitedMs, double WaitedForCoreMs, double WriteMs, double WriteForCoreMs)
{
    /// <summary>The last append completed on this thread: the caller of an append reads it right after its await.</summary>
    [ThreadStatic]
    public static JournalAppendWait? Last;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"writer {Found.ToString().ToLowerInvariant()}, taken after {WaitedMs:0.0} ms ({WaitedForCoreMs:0.0} waiting for a core), written in {WriteMs:0.0} ms ({WriteForCoreMs:0.0} waiting for a core)");
}
