using System.Globalization;

namespace Pipeliner.Engine.Backends.Shell;

/// <summary>
/// The CPU time of a running local process and of the children it has waited for (user + system:
/// <c>utime + stime + cutime + cstime</c> of <c>/proc/{pid}/stat</c>, in the kernel's fixed 100 ticks a second).
/// Read while the process runs — its entry is gone once it is reaped — so the last sample is the figure up to then.
/// Null where there is no <c>/proc</c> (not Linux) or the process has ended.
/// </summary>
public static class ProcessCpuTime
{
    private const int TicksPerSecond = 100; // USER_HZ: what /proc reports in, whatever the kernel's own tick

    public static long? Milliseconds(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(stat);
    }

    /// <summary>The CPU milliseconds in one <c>/proc/{pid}/stat</c> line; null when it is not one.</summary>
    public static long? Parse(string stat)
    {
        // The command name (field 2) is in parentheses and may hold spaces or ')': fields are counted after the last ')'.
        var end = stat.LastIndexOf(')');
        if (end < 0) return null;
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14–17.
        if (fields.Length < 15) return null;
        long ticks = 0;
        for (var field = 14; field <= 17; field++)
        {
            if (!long.TryParse(fields[field - 3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return null;
            ticks += Math.Max(0, value);
        }

        return ticks * 1000 / TicksPerSecond;
    }
}
