using System.Runtime.InteropServices;

namespace Pipeliner.Engine.Backends.Shell;

/// <summary>
/// A step's script runs as the leader of a process group of its own (started through <c>setsid</c>), so that what it
/// put in the background (a non-interactive shell keeps its jobs in its group) is stopped with one signal when the script
/// ends — also a process caught between fork and exec, whose environment <see cref="MarkedProcesses"/> may read as empty.
/// </summary>
internal static partial class ProcessGroups
{
    /// <summary>Debian's util-linux; where it is missing the script shares this process's group and only the sweep remains.</summary>
    public const string Setsid = "/usr/bin/setsid";

    private const int SigKill = 9;

    public static bool Available => OperatingSystem.IsLinux() && File.Exists(Setsid);

    /// <summary>Kills every process of the group led by <paramref name="leader"/> (which may have exited already).</summary>
    public static void Kill(int leader)
    {
        // A negative id names the group; an empty group answers ESRCH, which is fine.
        if (leader > 1) _ = KillProcesses(-leader, SigKill);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillProcesses(int pid, int signal);
}
