using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
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
/// that an idle server does not use. A trim of an idle server that has not worked since the last one pages them out only
/// when idleness itself has read back enough beyond what it reads back at once (<see cref="IdleFilePages"/>): its
/// housekeeping's code run only every few minutes would otherwise stay resident for good, and what runs every few seconds
/// comes back at once. Whether the server works or not, they are given back once <c>Pipeliner:FilePageOutGrowthMiB</c> of
/// them came back since the last page-out (checked every <see cref="FileCheck"/>, from before the server serves).
/// </summary>
public sealed class IdleMemoryTrim(
    IOptions<PipelinerOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, FilePageOut pageOut, ILogger<IdleMemoryTrim> logger)
    : BackgroundService
{
    private bool _nativeTrim = OperatingSystem.IsLinux();
    private long _fileRssAfterPageOut;

    /// <summary>
    /// How often the resident file pages are read to page them out as they grow: a first run of code reads ~30 MiB of the
    /// assemblies within 2–3 s (docs/performance.md), which a check once per 10 s window found only after the peak.
    /// </summary>
    public static readonly TimeSpan FileCheck = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.IdleMemoryTrim;
        if (window <= TimeSpan.Zero) return;
        var pagingOut = options.Value.IdleMemoryTrimFilePages && OperatingSystem.IsLinux();
        var files = new IdleFilePages(0, (long)options.Value.FilePageOutGrowthMiB << 20);
        // The first hosted service, run beside the others' start: what the host's building read once is given back at once,
        // and what the database's preparation (EF Core's model, the migrations' check) and Hangfire's start read, as they
        // read it (every FileCheck): the start's peak formed there, before the trim at start (docs/performance.md).
        if (pagingOut && PageOutFiles()) files.PagedOut(_fileRssAfterPageOut);
        var started = WhenStartedAsync(stoppingToken);
        while (!started.IsCompleted)
        {
            await Task.WhenAny(started, Task.Delay(FileCheck, time, stoppingToken));
            if (pagingOut && !started.IsCompleted) PageOutFilesWhenGrown(files);
        }
        await started;
        Trim("has started", pageOutFiles: true);
        files.PagedOut(_fileRssAfterPageOut);
        var tick = pagingOut && window > FileCheck ? FileCheck : window;
        var ticksPerWindow = Math.Max(1, (int)Math.Round(window / tick));
        var gauge = new IdleTrimGauge(window, Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
        using var timer = new PeriodicTimer(tick, time);
        var ticks = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Working or not: once the files' pages grew by the threshold since the last page-out (a first run of code, the
            // JIT reading each method's metadata and IL once, the kernel mapping 16 pages around each fault), they are
            // given back at once, so that the peak does not form before a window ends.
            if (pagingOut) PageOutFilesWhenGrown(files);
            if (++ticks < ticksPerWindow) continue;
            ticks = 0;
            var trim = gauge.Observe(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
            var fileRss = pagingOut ? FilePageOut.FileRss() : 0;
            files.Observe(gauge.LastWindowQuiet, fileRss);
            if (!gauge.LastWindowQuiet) continue;
            if (!trim)
            {
                // Nothing to collect yet (an idle server allocates too little to collect more than every few minutes), but the
                // files' pages the last work or idleness read back may be worth giving back.
                if (pagingOut && files.Due(fileRss) && PageOutFiles()) files.PagedOut(_fileRssAfterPageOut);
                continue;
            }
            var pageOutFiles = files.Due(fileRss);
            Trim("is quiet", pageOutFiles);
            if (pageOutFiles) files.PagedOut(_fileRssAfterPageOut);
            // Allocations made by the collection's own bookkeeping do not count as the next activity.
            gauge.Trimmed(GC.GetTotalAllocatedBytes());
        }
    }

    private void PageOutFilesWhenGrown(IdleFilePages files)
    {
        if (files.Grown(FilePageOut.FileRss()) && PageOutFiles()) files.PagedOut(_fileRssAfterPageOut);
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

    /// <summary>Pages the files out; false where that is unsupported (nothing was asked).</summary>
    private bool PageOutFiles()
    {
        var cpu = Environment.CpuUsage.TotalTime;
        var outcome = pageOut.PageOut();
        if (outcome.Mappings == 0) return false;
        _fileRssAfterPageOut = outcome.FileRssAfter;
        logger.LogDebug("Paged out {Mappings} read-only file mappings: the resident file pages went from {Before} to {After} bytes in {Cpu} ms of CPU",
            outcome.Mappings, outcome.FileRssBefore, outcome.FileRssAfter, (int)(Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds);
        return true;
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
/// Whether a quiet window also pages out the files' pages: always after work (what the work read, the idle server does not
/// use), at the first quiet window, whether or not there is anything to collect; on a server idle since the last page-out
/// only once idleness has read back <see cref="ReadBackWorthPagingOut"/> more than it read back in the first window after
/// the page-out. What comes back within one window is the code idleness runs every few seconds (the timers' queries, the
/// runtime's own; ~7 MiB with fault-around): measured against the page-out itself, it alone reached the threshold, so an
/// idle server paged it out every 10–30 s and read it back within 2 s each time, at ~30–50 reads from the disk and ~20 ms
/// each (docs/performance.md). Measured against the first window, only the pages of rarer work (the recurring jobs every 5
/// minutes or more) count. Apart from the windows, the pages are given back as soon as they grew by
/// <c>growthWorthPagingOut</c> since the last page-out (<see cref="Grown"/>): a start's or a burst's first runs read the
/// code of everything they call once (the JIT's metadata and IL, the kernel mapping 16 pages around each fault), about
/// 25 MiB more than the runs use afterwards (docs/performance.md), which would otherwise stay resident until the work is over.
/// </summary>
public sealed class IdleFilePages(long fileRssAfterPageOut, long growthWorthPagingOut = IdleFilePages.DefaultGrowthWorthPagingOut)
{
    public const long ReadBackWorthPagingOut = 4L << 20;
    public const long DefaultGrowthWorthPagingOut = 16L << 20;

    private long _pagedOutTo = fileRssAfterPageOut;
    private long _baseline = fileRssAfterPageOut;
    private bool _settling = true;
    private bool _worked;

    /// <summary>
    /// Takes the last window (whether it was quiet, and the resident file pages at its end): one that was not quiet is work
    /// since the last page-out; the first after a page-out sets what idleness reads back at once.
    /// </summary>
    public void Observe(bool windowQuiet, long fileRss)
    {
        _worked |= !windowQuiet;
        if (!_settling) return;
        _baseline = Math.Max(_baseline, fileRss);
        _settling = false;
    }

    public bool Due(long fileRss) => _worked || (!_settling && fileRss - _baseline >= ReadBackWorthPagingOut);

    /// <summary>Whether the files are paged out at once: they grew by the threshold since the last page-out.</summary>
    public bool Grown(long fileRss) => fileRss - _pagedOutTo >= growthWorthPagingOut;

    /// <summary>The resident file pages after a page-out.</summary>
    public void PagedOut(long fileRssAfter)
    {
        _pagedOutTo = fileRssAfter;
        _baseline = fileRssAfter;
        _settling = true;
        _worked = false;
    }
}
