using System.Runtime.InteropServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// glibc's allocator gives each thread that finds the heap busy an arena of its own (up to 8 per core), and an arena
/// keeps the pages it touched: SQLite, libgit2 and the runtime allocating from Kestrel's, Hangfire's and the thread
/// pool's threads during a burst of runs left about 10 MiB more resident than two arenas do (docs/performance.md, issue
/// 15's memory). The server asks for <see cref="Arenas"/> at start, before its threads exist; <c>MALLOC_ARENA_MAX</c> in
/// the environment, when set, is glibc's own and wins. Elsewhere (musl, macOS, Windows) nothing changes.
/// </summary>
public static class NativeHeap
{
    public const int Arenas = 2;

    private const int ArenaMaxParameter = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <returns>Whether the limit was set.</returns>
    public static bool LimitArenas()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return false;
        try
        {
            return MallOpt(ArenaMaxParameter, Arenas) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // not glibc
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
}
