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
/// </summary>
public sealed class IdleMemoryTrim(IOptions<PipelinerOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<IdleMemoryTrim> logger)
    : BackgroundService
{
    private bool _nativeTrim = OperatingSystem.IsLinux();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = options.Value.IdleMemoryTrim;
        if (window <= TimeSpan.Zero) return;
        await WhenStartedAsync(stoppingToken);
        Trim("has started");
        var gauge = new IdleTrimGauge(window, Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes());
        using var timer = new PeriodicTimer(window, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!gauge.Observe(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes())) continue;
            Trim("is quiet");
            // Allocations made by the collection's own bookkeeping do not count as the next activity.
            gauge.Trimmed(GC.GetTotalAllocatedBytes());
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

    /// <summary>Takes the process's CPU time and allocated bytes at the end of a window; true when it is time to trim.</summary>
    public bool Observe(TimeSpan cpu, long allocated)
    {
        var used = cpu - _cpu;
        _cpu = cpu;
        return used.Ticks < window.Ticks * QuietShare && allocated - _allocatedAtTrim >= WorthTrimming;
    }

    public void Trimmed(long allocated) => _allocatedAtTrim = allocated;
}
