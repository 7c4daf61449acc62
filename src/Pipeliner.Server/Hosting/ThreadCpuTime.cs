using System.Runtime.InteropServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// The CPU time of the calling thread (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>): what a piece of synchronous work
/// cost on its own, where the process's CPU time (<see cref="Environment.CpuUsage"/>) also counts every other thread that
/// ran meanwhile (a burst's requests beside a zap). The process's CPU time off Linux.
/// </summary>
public static partial class ThreadCpuTime
{
    private const int ClockThreadCpuTimeId = 3;

    public static TimeSpan Now()
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(ClockThreadCpuTimeId, out var time) != 0) return Environment.CpuUsage.TotalTime;
        return TimeSpan.FromTicks(time.Seconds * TimeSpan.TicksPerSecond + time.Nanoseconds / 100);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);
}
