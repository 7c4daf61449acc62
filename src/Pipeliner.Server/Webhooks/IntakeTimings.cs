using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Where one webhook's answer spent its time, step by step (project looked up, secret unprotected, body read and its
/// signature checked, parsed, delivery row stored, handed to the queue): logged at Debug by <see cref="WebhookIntake"/>
/// (<c>--Logging:LogLevel:Pipeliner.Server.Webhooks.WebhookIntake=Debug</c>) to find what a slow <c>202</c> waited on.
/// After a step that ran on one thread, the time that thread waited for a core in it (<c>[… waiting for a core]</c>). Only made when that level is on. After the steps, what the process did meanwhile that the request may have waited
/// for: the garbage collector's pauses during the request and how many collections they were, the thread pool's queued work items when it began (work
/// that ran before its continuations could), the methods the process compiled during the request and the time it took (on
/// any thread: code run for the first time) and the pages it read back from files (major page faults: code or data given back to the system
/// by the idle trim, or never read before).
/// </summary>
public sealed class IntakeTimings
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _gcPausesBefore = GC.GetTotalPauseDuration();
    private readonly int _collectionsBefore = GC.CollectionCount(0);
    private readonly TimeSpan _jitBefore = System.Runtime.JitInfo.GetCompilationTime();
    private readonly long _compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
    private readonly long _majorFaultsBefore = MajorPageFaults();
    private readonly long _queuedAtStart = ThreadPool.PendingWorkItemCount;
    private readonly StringBuilder _steps = new();
    private long _last;
    private int _lastThread = Environment.CurrentManagedThreadId;
    private long _lastCoreWait = ThreadCoreWait.OfCurrentThread.Nanoseconds();

    public IntakeTimings() => _last = _started;

    /// <summary>Ends the step called <paramref name="step"/>, begun at the previous mark.</summary>
    public void Mark(string step)
    {
        var now = Stopwatch.GetTimestamp();
        var thread = Environment.CurrentManagedThreadId;
        var coreWait = ThreadCoreWait.OfCurrentThread.Nanoseconds();
        if (_steps.Length > 0) _steps.Append(", ");
        _steps.Append(step).Append(' ').Append(Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)).Append(" ms");
        // Known only for a step that ran on one thread from its start (no await that continued elsewhere).
        if (thread == _lastThread && coreWait - _lastCoreWait >= 100_000)
            _steps.Append(" [").Append(((coreWait - _lastCoreWait) / 1e6).ToString("0.0", CultureInfo.InvariantCulture)).Append(" waiting for a core]");
        _last = now;
        _lastThread = thread;
        _lastCoreWait = coreWait;
    }

    /// <summary>Ends the step called <paramref name="step"/> and says, in brackets, what it waited for (milliseconds without
    /// their unit: scale-benchmarks.py reads every "name N ms" of the line as a step).</summary>
    public void Mark(string step, object? detail)
    {
        Mark(step);
        if (detail is not null) _steps.Append(" [").Append(detail).Append(']');
    }

    public double TotalMilliseconds => Stopwatch.GetElapsedTime(_started).TotalMilliseconds;

    public override string ToString() =>
        FormattableString.Invariant($"{_steps}; gc pauses {(GC.GetTotalPauseDuration() - _gcPausesBefore).TotalMilliseconds:0.0} ms in {GC.CollectionCount(0) - _collectionsBefore} collections, queued work items {_queuedAtStart}, ")
        + FormattableString.Invariant($"jit {System.Runtime.JitInfo.GetCompiledMethodCount() - _compiledBefore} methods {(System.Runtime.JitInfo.GetCompilationTime() - _jitBefore).TotalMilliseconds:0.0} ms, ")
        + FormattableString.Invariant($"major faults {MajorPageFaults() - _majorFaultsBefore}");

    /// <summary>The process's major page faults so far (pages read from their files); 0 where <c>getrusage</c> is missing.</summary>
    private static long MajorPageFaults()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        // struct rusage on 64-bit Linux: two timevals (4 longs), then maxrss, ixrss, idrss, isrss, minflt, majflt, …
        Span<long> usage = stackalloc long[18];
        return GetRusage(0, ref MemoryMarshal.GetReference(usage)) == 0 ? usage[9] : 0;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, ref long usage);
}
