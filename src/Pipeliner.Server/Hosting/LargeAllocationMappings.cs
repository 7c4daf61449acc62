using System.Runtime.InteropServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Makes glibc's <c>malloc</c> map a block of 64 KiB or more on its own when its heap has no free room for it (instead of
/// growing the heap), and unmap it when it is freed (<c>mallopt(M_MMAP_THRESHOLD, 65536)</c>). The JIT takes its working memory in 64 KiB slabs; the
/// runtime keeps freed slabs in a cache of up to 16 MB and frees them a few seconds later, and with glibc's default
/// threshold (128 KiB, raised further as large blocks are freed) they come from the main heap, where the freed slabs then
/// stay resident: the start compiles ~15,000 methods fully optimized (no tiered compilation), the main heap grows to
/// 18 MiB and keeps it through the warm-up and the whole burst, since the trim at start comes before the runtime lets go
/// of them. Mapped on their own, they leave the process when the runtime frees them: the main heap ~7 MiB after the 100-run burst, the whole life's peak 5–11 MiB
/// lower (docs/performance.md, "the JIT's slabs in mappings of their own"). Called first thing in <c>Main</c>, so every way
/// of starting the server gets it (as the runtime config gives the collector's settings). An operator's own
/// <c>GLIBC_TUNABLES</c> naming <c>glibc.malloc.mmap_threshold</c> is left to win; elsewhere (musl, not Linux) nothing
/// happens.
/// </summary>
public sealed class LargeAllocationMappings(Func<string, string?> environment)
{
    public const int Threshold = 64 * 1024;
    private const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD in glibc's malloc.h

    public LargeAllocationMappings() : this(Environment.GetEnvironmentVariable)
    {
    }

    /// <summary>Sets the threshold; true when glibc took it.</summary>
    public bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (environment("GLIBC_TUNABLES")?.Contains("glibc.malloc.mmap_threshold", StringComparison.Ordinal) == true) return false;
        try
        {
            return MallOpt(MmapThresholdParameter, Threshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
}
