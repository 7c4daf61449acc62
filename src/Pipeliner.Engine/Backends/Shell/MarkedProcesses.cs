using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Pipeliner.Engine.Backends.Shell;

/// <summary>
/// Finds a step's processes by a variable in their environment, which every descendant inherits: unlike the
/// parent-child tree, it still finds what a script put in the background or detached after its parent exited.
/// Linux only (it reads <c>/proc</c>); elsewhere nothing is found.
/// </summary>
internal static class MarkedProcesses
{
    public const string Variable = "PIPELINER_SHELL_STEP";

    public static void Kill(string marker)
    {
        if (!Directory.Exists("/proc")) return;
        var entry = Encoding.UTF8.GetBytes($"{Variable}={marker}");
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                // A kernel thread has no environment to read (reading it fails): told apart by its flags first, so that a
                // sweep throws nothing for the dozens of them.
                if (IsKernelThread(File.ReadAllBytes(Path.Combine(directory, "stat")))) continue;
                if (!HasEntry(File.ReadAllBytes(Path.Combine(directory, "environ")), entry)) continue;
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or Win32Exception)
            {
                // Gone meanwhile, or not ours to read or kill.
            }
        }
    }

    /// <summary>PF_KTHREAD in the flags of a <c>/proc/{pid}/stat</c> line (the 9th field; the name before it may hold spaces).</summary>
    internal static bool IsKernelThread(ReadOnlySpan<byte> stat)
    {
        const uint kernelThread = 0x00200000;
        var rest = stat[(stat.LastIndexOf((byte)')') + 1)..];
        // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags.
        for (var field = 0; field < 7; field++)
        {
            rest = rest.TrimStart((byte)' ');
            var end = rest.IndexOf((byte)' ');
            if (end < 0) return false;
            if (field == 6) return uint.TryParse(rest[..end], out var flags) && (flags & kernelThread) != 0;
            rest = rest[end..];
        }

        return false;
    }

    /// <summary>True when the NUL-separated environment block holds exactly this NAME=value entry.</summary>
    private static bool HasEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> entry)
    {
        foreach (var range in environment.Split((byte)0))
        {
            if (environment[range].SequenceEqual(entry)) return true;
        }

        return false;
    }
}
