using System.Diagnostics;
using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Tests.Data;

/// <summary>A thread's time waiting for a core, read from Linux's schedstat by any thread.</summary>
public sealed class ThreadCoreWaitTests
{
    [Fact]
    public void Nanoseconds_GrowsByTheTimeTheThreadWaitedForACore_WhenMoreThreadsSpinThanThereAreCoresOnLinux()
    {
        if (!File.Exists("/proc/thread-self/schedstat")) return; // Linux's schedstat only
        var coreWait = ThreadCoreWait.OfCurrentThread;
        var before = coreWait.Nanoseconds();

        // Four spinning threads per core besides this one, for 400 ms: this thread gets a fifth of a core at most.
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        var spinners = Enumerable.Range(0, 4 * Environment.ProcessorCount)
            .Select(_ => new Thread(() => { while (!stop.IsCancellationRequested) Thread.SpinWait(100); }))
            .ToList();
        spinners.ForEach(t => t.Start());
        var spinning = Stopwatch.StartNew();
        while (spinning.ElapsedMilliseconds < 400) Thread.SpinWait(100);
        spinners.ForEach(t => t.Join());

        var waitedMs = (coreWait.Nanoseconds() - before) / 1e6;
        Assert.True(waitedMs >= 50, $"waited {waitedMs} ms for a core");
        Assert.Same(coreWait, ThreadCoreWait.OfCurrentThread);
    }
}
