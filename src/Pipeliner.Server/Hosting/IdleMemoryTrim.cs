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
/// With <c>Pipeliner:IdleMemoryTrimFilePages</c> (the default) it also gives back the pages of the files the process
/// mapped (<see cref="FilePageOut"/>), when <see cref="FilePagesGrowth"/> says so: from the host's start on, checked every
/// <see cref="FileCheck"/>, whenever they grew by <c>Pipeliner:FilePageOutGrowthMiB</c> (the first runs of code read much
/// of the assemblies once, and the peak would form before a window ends); at the trim at start and the first idle window
/// after work, paged out from the page cache too; at later idle windows once idleness read a little of them back. A window
/// is idle when it was quiet, no attempt was in flight and nothing was noted as work (<see cref="ServerWork"/>).
/// </summary>
public sealed class IdleMemoryTrim(
    IOptions<PipelinerOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, FilePageOut pageOut, ServerWork work,
    ActiveAttempts attempts, ILogger<IdleMemoryTrim> logger)
    : BackgroundService
{
    /// <summary>
    /// How often the resident file pages are read to give them back as they grow: a first run of code reads ~30 MiB of the
    /// assemblies within 2–3 s (docs/performance.md), which a check once per 10 s window found only after the peak.
    /// </summary>
    public static readonly TimeSpan FileCheck = TimeSpan.FromSeconds(1);

    private bool _nativeTrim = OperatingSystem.IsLinux();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.IdleMemoryTrim;
        if (window <= TimeSpan.Zero) return;
        var pagingOut = options.Value.IdleMemoryTrimFilePages && OperatingSystem.IsLinux();
        var files = new FilePagesGrowth((long)options.Value.FilePageOutGrowthMiB << 20);
        // The first hosted service, run beside the others' start. The first call only notes the mappings (a zap takes only
        // those seen before); from then on what the database's preparation and Hangfire's start read is given back as they
        // read it: the start's peak formed there, before the trim at start (docs/performance.md).
        if (pagingOut) PageOutFiles(files, FilePagesDue.Zap, whileIdle: false);
        var started = WhenStartedAsync(stoppingToken);
        while (!started.IsCompleted)
        {
            await Task.WhenAny(started, Task.Delay(FileCheck, time, stoppingToken));
            if (pagingOut && !started.IsCompleted) ZapIfGrown(files);
        }
        await started;
        Trim("has started");
        // Starting is work: what its last steps read after this (the Hangfire servers, the first catch-ups) goes at the
        // first idle window.
        if (pagingOut) PageOutFiles(files, FilePagesDue.Reclaim, whileIdle: false);
        var tick = pagingOut && files.Checked && window > FileCheck ? FileCheck : window;
        var ticksPerWindow = Math.Max(1, (int)Math.Round(window / tick));
        var gauge = new IdleTrimGauge(window, Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
        var workSeen = work.Done;
        var ticks = 0;
        using var timer = new PeriodicTimer(tick, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (++ticks < ticksPerWindow)
            {
                if (pagingOut) ZapIfGrown(files);
                continue;
            }
            ticks = 0;
            var trim = gauge.Observe(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
            var workDone = work.Done;
            // Idle: quiet, no attempt in flight, and nothing noted as work during the window (a run's end can be quiet).
            var idle = gauge.LastWindowQuiet && !attempts.Any && workDone == workSeen;
            workSeen = workDone;
            var due = pagingOut ? files.Due(idle, FilePageOut.FileRss()) : FilePagesDue.None;
            if (trim)
            {
                Trim("is quiet");
                // Allocations made by the collection's own bookkeeping do not count as the next activity.
                gauge.Trimmed(GC.GetTotalAllocatedBytes());
            }
            if (due != FilePagesDue.None) PageOutFiles(files, due, whileIdle: idle);
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

    private void Trim(string why)
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        logger.LogDebug("The server {Why}: the garbage collector's committed memory went from {Before} to {After} bytes",
            why, before, GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    private void ZapIfGrown(FilePagesGrowth files)
    {
        if (files.Grown(FilePageOut.FileRss())) PageOutFiles(files, FilePagesDue.Zap, whileIdle: false);
    }

    private void PageOutFiles(FilePagesGrowth files, FilePagesDue due, bool whileIdle)
    {
        var cpu = ThreadCpuTime.Now();
        var outcome = pageOut.PageOut(reclaim: due == FilePagesDue.Reclaim);
        if (outcome.Mappings == 0) return;
        files.PagedOut(outcome.FileRssAfter, whileIdle);
        if (!logger.IsEnabled(LogLevel.Debug)) return;
        logger.LogDebug("Gave back the pages of {Mappings} read-only file mappings ({Way}, {Copies} copied pages kept): the resident file pages went from {Before} to {After} bytes in {Cpu} ms of the thread's CPU",
            outcome.Mappings, due, outcome.CopiedPagesKept, outcome.FileRssBefore, outcome.FileRssAfter,
            (ThreadCpuTime.Now() - cpu).TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
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
