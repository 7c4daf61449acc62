using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Gives the memory the garbage collector kept back to the system once the server turns quiet: after a start or a burst
/// of runs the collector keeps its young generation's budget (about 17 MiB here) and the garbage of the start committed;
/// one compacting, decommitting collection (<see cref="GCCollectionMode.Aggressive"/>) when nothing happens returns it
/// (idle RSS about 20 MiB lower), then the C library's heap gives back its free pages too (<c>malloc_trim</c>, glibc:
/// SQLite's and the runtime's freed buffers, about 12 MiB; docs/performance.md). Checked every
/// <c>Pipeliner:IdleMemoryTrim</c>; 0 turns it off. It also trims once as soon as the server has started: starting (the
/// database model, migrations, settings, the JIT's buffers) leaves the most garbage the process ever has, promoted to the
/// old generation, and whatever comes first after it (a burst of runs) would otherwise be added on top of it.
/// With <c>Pipeliner:IdleMemoryTrimFilePages</c> (the default) a trim after activity, and the one at start, also pages out
/// the clean pages of the files the process mapped (<see cref="FilePageOut"/>): the code of the start and of the last runs
/// that an idle server does not use. A window is idle when it was quiet, no attempt was in flight and nothing was noted
/// as work (<see cref="ServerWork"/>). A trim of an idle server that has not worked since the last one pages them out only
/// when idleness itself has read back enough beyond what it reads back at once (<see cref="IdleFilePages"/>): its
/// housekeeping's code run only every few minutes would otherwise stay resident for good, and what runs every few seconds
/// comes back at once. While the server works, they are given back once the work has read
/// <see cref="IdleFilePages.ReadWhileBusyWorthPagingOut"/> since the last page-out.
/// </summary>
public sealed class IdleMemoryTrim(
    IOptions<PipelinerOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, FilePageOut pageOut, ServerWork work,
    ActiveAttempts attempts, ILogger<IdleMemoryTrim> logger)
    : BackgroundService
{
    private bool _nativeTrim = OperatingSystem.IsLinux();
    private long _fileRssAfterPageOut;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.IdleMemoryTrim;
        if (window <= TimeSpan.Zero) return;
        await WhenStartedAsync(stoppingToken);
        Trim("has started", pageOutFiles: true);
        // Starting is work: what its last steps read after the page-out (the Hangfire servers, the first catch-ups) is given back
        // at the first idle window, before idleness's own read-back is measured.
        var files = new IdleFilePages(_fileRssAfterPageOut, worked: true);
        var pagingOut = options.Value.IdleMemoryTrimFilePages && OperatingSystem.IsLinux();
        var gauge = new IdleTrimGauge(window, Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
        var workSeen = work.Done;
        using var timer = new PeriodicTimer(window, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var trim = gauge.Observe(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
            var workDone = work.Done;
            // Idle: quiet, no attempt in flight, and nothing noted as work during the window (a run's end can be quiet).
            var idle = gauge.LastWindowQuiet && !attempts.Any && workDone == workSeen;
            workSeen = workDone;
            var fileRss = pagingOut ? FilePageOut.FileRss() : 0;
            files.Observe(idle, fileRss);
            // Working: the first runs of code read much of the assemblies once (the JIT's metadata and IL, each fault mapping 16
            // pages around it), and nothing idle comes to give those pages back while a burst or a long run goes on.
            var pageOutFiles = pagingOut && (idle ? files.Due(fileRss) : files.DueWhileBusy(fileRss));
            if (trim)
            {
                Trim("is quiet", pageOutFiles);
                // Allocations made by the collection's own bookkeeping do not count as the next activity.
                gauge.Trimmed(GC.GetTotalAllocatedBytes());
            }
            else if (pageOutFiles)
            {
                // Nothing to collect yet (an idle server allocates too little to collect more than every few minutes), but the
                // files' pages the last work or idleness read back are worth giving back.
                PageOutFiles();
            }

            if (pageOutFiles) files.PagedOut(_fileRssAfterPageOut, whileIdle: idle);
        }
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task;
        }
    }

    private void Trim(string why, bool pageOutFiles)
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        logger.LogDebug("The server {Why}: the garbage collector's committed memory went from {Before} to {After} bytes",
            why, before, GC.GetGCMemoryInfo().TotalCommittedBytes);
        if (pageOutFiles && options.Value.IdleMemoryTrimFilePages) PageOutFiles();
    }

    private void PageOutFiles()
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var outcome = pageOut.PageOut();
        if (outcome.Mappings == 0) return;
        _fileRssAfterPageOut = outcome.FileRssAfter;
        logger.LogDebug("Paged out {Mappings} read-only file mappings: the resident file pages went from {Before} to {After} bytes in {Cpu} ms of CPU",
            outcome.Mappings, outcome.FileRssBefore, outcome.FileRssAfter, (int)(Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds);
    }

    /// <summary>glibc's <c>malloc_trim</c>: the C heap's free pages go back to the system.</summary>
    private void TrimNativeHeap()
    {
        if (!_nativeTrim) return;
        try
        {
            MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _nativeTrim = false; // musl (Alpine) has no malloc_trim: the collector's trim is all there is
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}

/// <summary>
/// When to trim: the last window was quiet (the process used under <see cref="QuietShare"/> of one core) and something
/// worth giving back was allocated since the last trim (<see cref="WorthTrimming"/>, two of the collector's 4 MiB
/// regions), so an idle server trims once after its activity and then only every few minutes (it allocates ~100 KB/s).
/// </summary>
public sealed class IdleTrimGauge(TimeSpan window, TimeSpan cpu, long allocated)
{
    public const double QuietShare = 0.02;
    public const long WorthTrimming = 8L << 20;

    private TimeSpan _cpu = cpu;
    private long _allocatedAtTrim = allocated;

    /// <summary>Whether the last window observed was quiet.</summary>
    public bool LastWindowQuiet { get; private set; }

    /// <summary>Whether a window since the last trim (or since the start) was not quiet: the server worked.</summary>
    public bool WorkedSinceTrim { get; private set; }

    /// <summary>Takes the process's CPU time and allocated bytes at the end of a window; true when it is time to trim.</summary>
    public bool Observe(TimeSpan cpu, long allocated)
    {
        var used = cpu - _cpu;
        _cpu = cpu;
        var quiet = used.Ticks < window.Ticks * QuietShare;
        LastWindowQuiet = quiet;
        if (!quiet) WorkedSinceTrim = true;
        return quiet && allocated - _allocatedAtTrim >= WorthTrimming;
    }

    public void Trimmed(long allocated)
    {
        _allocatedAtTrim = allocated;
        WorkedSinceTrim = false;
    }
}

/// <summary>
/// Whether a window also pages out the files' pages. After work (a window that was not idle since the last page-out, or a
/// page-out made while working) always, at the first idle window, whether or not there is anything to collect: what the
/// work read, the idle server does not use. On a server idle since the last page-out only once idleness has read back
/// <see cref="ReadBackWorthPagingOut"/> more than it read back in the first window after that page-out. What comes back
/// within one window is the code idleness runs every few seconds (the timers' queries, the runtime's own; ~7 MiB with
/// fault-around): measured against the page-out itself, it alone reached the threshold, so an idle server paged it out
/// every 10–30 s and read it back within 2 s each time, at ~30–50 reads from the disk and ~20 ms each
/// (docs/performance.md). Measured against the first window, only the pages of rarer work count. That first window is
/// taken as idleness's own only when it was idle and followed a page-out made while idle: taken after a page-out while
/// busy, or from a quiet window that still held the end of a run, it counted the work's pages as idleness's, and an idle
/// server never read 4 MiB beyond them (3 windows of 10 kept the warm-up's pages for good, docs/performance.md).
/// A window that is not idle pages them out once the work has read <see cref="ReadWhileBusyWorthPagingOut"/> since the
/// last page-out: a burst's first runs read the code of everything they call once (the JIT's metadata and IL, the kernel
/// mapping 16 pages around each fault), about 25 MiB more than the runs use afterwards (docs/performance.md), which would
/// otherwise stay resident until the burst is over.
/// </summary>
public sealed class IdleFilePages(long fileRssAfterPageOut, bool worked = false)
{
    public const long ReadBackWorthPagingOut = 4L << 20;
    public const long ReadWhileBusyWorthPagingOut = 16L << 20;

    private long _pagedOutTo = fileRssAfterPageOut;
    private long _baseline = fileRssAfterPageOut;
    private bool _baselineTaken;
    private bool _worked = worked;

    /// <summary>
    /// Takes the last window (whether it was idle, and the resident file pages at its end): one that was not idle is work
    /// since the last page-out; the first idle one after a page-out made while idle sets what idleness reads back at once.
    /// </summary>
    public void Observe(bool windowIdle, long fileRss)
    {
        if (!windowIdle)
        {
            _worked = true;
            return;
        }

        if (_worked || _baselineTaken) return;
        _baseline = Math.Max(_baseline, fileRss);
        _baselineTaken = true;
    }

    /// <summary>Whether an idle window pages the files out: after work always, else once idleness read back enough.</summary>
    public bool Due(long fileRss) => _worked || (_baselineTaken && fileRss - _baseline >= ReadBackWorthPagingOut);

    /// <summary>Whether a window that was not idle pages the files out: the work read enough of them since the last page-out.</summary>
    public bool DueWhileBusy(long fileRss) => fileRss - _pagedOutTo >= ReadWhileBusyWorthPagingOut;

    /// <summary>
    /// The resident file pages after a page-out. One made while working leaves the work unfinished: what the rest of it reads
    /// is given back at the first idle window, and only the window after that one says what idleness reads back.
    /// </summary>
    public void PagedOut(long fileRssAfter, bool whileIdle)
    {
        _pagedOutTo = fileRssAfter;
        _baseline = fileRssAfter;
        _baselineTaken = false;
        _worked = !whileIdle;
    }
}
