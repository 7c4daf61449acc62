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
