using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Pipeliner.Engine.Backends.Shell;

/// <summary>
/// Finds a step's processes by a variable in their environment, which every descendant inherits: unlike the
/// parent-child tree, it still finds what a script put in the background or detached after its parent exited.
/// Linux only (it reads <c>/proc</c>); elsewhere nothing is found.
/// </summary>
internal static partial class MarkedProcesses
{
    public const string Variable = "PIPELINER_SHELL_STEP";

    private const int ReadOnly = 0, CloseOnExec = 0x80000, Interrupted = 4;
    private const int MaxEnvironmentBytes = 16 << 20;

    public static void Kill(string marker)
    {
        if (!Directory.Exists("/proc")) return;
        var entry = Encoding.UTF8.GetBytes($"{Variable}={marker}");
        var buffer = new byte[16 << 10];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId) continue;
            // Dozens of processes have no environment this process may read (kernel threads, other users'): read without an
            // exception for each, as a sweep runs twice per job.
            var length = ReadEnvironment(Path.Combine(directory, "environ"), ref buffer);
            if (length <= 0 || !HasEntry(buffer.AsSpan(0, length), entry)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or Win32Exception)
            {
                // Gone meanwhile, or not ours to kill.
            }
        }
    }

    /// <summary>The bytes of a <c>/proc/{pid}/environ</c> file in <paramref name="buffer"/> (grown as needed); -1 when it cannot be read.</summary>
    internal static unsafe int ReadEnvironment(string path, ref byte[] buffer)
    {
        var fd = Open(path, ReadOnly | CloseOnExec);
        if (fd < 0) return -1;
        try
        {
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= MaxEnvironmentBytes) return total;
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                nint read;
                fixed (byte* start = &buffer[total])
                {
                    read = Read(fd, start, buffer.Length - total);
                }

                if (read < 0 && Marshal.GetLastPInvokeError() == Interrupted) continue;
                if (read < 0) return -1;
                if (read == 0) return total;
                total += (int)read;
            }
        }
        finally
        {
            Close(fd);
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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
