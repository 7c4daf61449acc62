using Microsoft.Win32.SafeHandles;

namespace Pipeliner.Server.Data.Providers;

/// <summary>
/// The time one thread has spent runnable but not running (waiting for a core), from Linux's
/// <c>/proc/thread-self/schedstat</c>: opened on that thread, the file stays that thread's, so any thread can read it
/// (one <c>pread</c>, no allocation). Zero where the file is missing.
/// </summary>
public sealed class ThreadCoreWait : IDisposable
{
    [ThreadStatic]
    private static ThreadCoreWait? _current;

    private readonly SafeFileHandle? _schedstat;

    private ThreadCoreWait(SafeFileHandle? schedstat) => _schedstat = schedstat;

    /// <summary>The calling thread's, opened at its first use and kept for the thread's life (a pool thread's: a few dozen at most).</summary>
    public static ThreadCoreWait OfCurrentThread => _current ??= Open();

    private static ThreadCoreWait Open()
    {
        try
        {
            return new(OperatingSystem.IsLinux() ? File.OpenHandle("/proc/thread-self/schedstat") : null);
        }
        catch (IOException)
        {
            return new(null);
        }
        catch (UnauthorizedAccessException)
        {
            return new(null);
        }
    }

    /// <summary>Nanoseconds the thread has waited for a core (on a run queue) since it started.</summary>
    public long Nanoseconds()
    {
        if (_schedstat is null) return 0;
        Span<byte> text = stackalloc byte[96];
        int length;
        try
        {
            length = RandomAccess.Read(_schedstat, text, 0);
        }
        catch (IOException)
        {
            return 0;
        }

        // "<ns on a core> <ns waiting for one> <timeslices>\n": the second number.
        var field = 0;
        long value = 0;
        foreach (var c in text[..length])
        {
            if (c == ' ')
            {
                if (++field > 1) break;
                continue;
            }

            if (field == 1) value = value * 10 + (c - '0');
        }

        return value;
    }

    public void Dispose() => _schedstat?.Dispose();
}
