using System.Diagnostics;
using System.Globalization;

namespace Pipeliner.Engine.Backends;

/// <summary>
/// Names the process that owns backend resources (<c>host/pid/start-time</c>), so that a later process can tell
/// resources of a dead owner (remove them) from those of a live one (leave them), even when pids are reused.
/// </summary>
public sealed record OwnerIdentity(string Host, int ProcessId, long StartTicks)
{
    /// <summary>
    /// This machine and PID namespace (<c>name@inode</c> on Linux). A process in a container that shares the host's name
    /// (e.g. <c>--network host</c>) has pids of its own: it must see the host's processes as another host's (alive),
    /// never as dead ones whose containers it may remove.
    /// </summary>
    public static string LocalHost { get; } = LocalHostName();

    public static OwnerIdentity Current { get; } = OfProcess(Environment.ProcessId) ?? new(LocalHost, Environment.ProcessId, 0);

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
        if (Host != LocalHost) return true;
        // Each process derives start times from its own estimate of the boot time: two processes can round the
        // same start to neighbouring seconds. A reused pid starting within that second is not a real risk.
        return OfProcess(ProcessId) is { } live && Math.Abs(live.StartTicks - StartTicks) <= 1;
    }

    private static OwnerIdentity? OfProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (IsZombie(pid)) return null;
            // Whole seconds: the start time is derived from clock ticks and may differ in the last digits.
            var ticks = process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
            return new OwnerIdentity(LocalHost, pid, ticks);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string LocalHostName()
    {
        try
        {
            // "pid:[4026531836]": the namespace's inode tells containers on one machine apart.
            var inode = new string((new FileInfo("/proc/self/ns/pid").LinkTarget ?? "").Where(char.IsAsciiDigit).ToArray());
            return inode.Length > 0 ? $"{Environment.MachineName}@{inode}" : Environment.MachineName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            return Environment.MachineName;
        }
    }

    /// <summary>Exited and only waiting for its parent to reap it (Linux; elsewhere never).</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
