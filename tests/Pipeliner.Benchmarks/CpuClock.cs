using System.Diagnostics;

namespace Pipeliner.Benchmarks;

/// <summary>
/// CPU seconds spent by this process and, on PostgreSQL, by the server processes serving the benchmark's database
/// (Linux <c>/proc</c>): figures that a loaded machine stretches much less than wall-clock time.
/// </summary>
public sealed class CpuClock(string? database)
{
    /// <summary>Clock ticks per second of <c>/proc/*/stat</c> (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public double ProcessSeconds => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>The part of <see cref="ProcessSeconds"/> spent in the kernel (file creation, writes, page faults).</summary>
    public double KernelSeconds => Process.GetCurrentProcess().PrivilegedProcessorTime.TotalSeconds;

    /// <summary>The CPU time of the PostgreSQL backends connected to the database (0 without one, or off Linux).</summary>
    public double DatabaseSeconds
    {
        get
        {
            if (database is null || !Directory.Exists("/proc")) return 0;
            var ticks = 0L;
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out _)) continue;
                try
                {
                    var title = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                    if (!title.StartsWith("postgres: ", StringComparison.Ordinal) || !title.Contains($" {database} ", StringComparison.Ordinal)) continue;
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    // A process that ended meanwhile.
                }
            }

            return ticks / TicksPerSecond;
        }
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
