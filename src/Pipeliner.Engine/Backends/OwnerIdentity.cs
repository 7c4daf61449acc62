using System.Diagnostics;
using System.Globalization;

namespace Pipeliner.Engine.Backends;

/// <summary>
/// Names the process that owns backend resources (<c>host/pid/start-time</c>), so that a later process can tell
/// resources of a dead owner (remove them) from those of a live one (leave them), even when pids are reused.
/// </summary>
public sealed record OwnerIdentity(string Host, int ProcessId, long StartTicks)
{
    public static OwnerIdentity Current { get; } = OfProcess(Environment.ProcessId) ?? new(Environment.MachineName, Environment.ProcessId, 0);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Host}/{ProcessId}/{StartTicks}");

    public static OwnerIdentity? Parse(string? text)
    {
        var parts = text?.Split('/');
        return parts is { Length: 3 } &&
               int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
               long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? new OwnerIdentity(parts[0], pid, ticks)
            : null;
    }

    /// <summary>True when the owner may still be running: on another host we cannot tell, so we assume it is.</summary>
    public bool IsAlive()
    {
        if (Host != Environment.MachineName) return true;
        return OfProcess(ProcessId) is { } live && live.StartTicks == StartTicks;
    }

    private static OwnerIdentity? OfProcess(int pid) =>
        Directory.Exists("/proc/self") ? OfLinuxProcess(pid) : OfAnyProcess(pid);

    /// <summary>
    /// The kernel's start time in clock ticks since boot: every process reads the same number. (Process.StartTime
    /// adds a boot time each process estimates for itself; two processes disagree by milliseconds.)
    /// </summary>
    private static OwnerIdentity? OfLinuxProcess(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // After "pid (command) ": state is field 3, starttime field 22.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] == "Z") return null; // exited, only waiting for its parent to reap it
            return new OwnerIdentity(Environment.MachineName, pid, long.Parse(fields[19], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static OwnerIdentity? OfAnyProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            // Whole seconds: the start time is derived from clock ticks and may differ in the last digits.
            var ticks = process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
            return new OwnerIdentity(Environment.MachineName, pid, ticks);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
