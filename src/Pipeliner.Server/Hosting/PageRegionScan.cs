using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// The kernel's <c>PAGEMAP_SCAN</c> (an <c>ioctl</c> on <c>/proc/self/pagemap</c>, Linux 6.7+): the runs of a range's
/// pages that are present or swapped, each with whether they are the file's own (<c>PAGE_IS_FILE</c>) or a copy. Where
/// reading <c>/proc/self/pagemap</c> returns 8 bytes for every page of a mapping, resident or not (~75,000 for the
/// server's ~540 read-only file mappings, each time), the scan walks only the page tables that exist and answers with a
/// few runs.
/// </summary>
public static unsafe partial class PageRegionScan
{
    public const ulong Present = 1 << 3;
    public const ulong File = 1 << 2;
    public const ulong Swapped = 1 << 4;

    private const int RegionsPerCall = 64;
    private const ulong PagemapScan = 0xC0606610; // _IOWR('f', 16, struct pm_scan_arg), 96 bytes
    private const int NoSuchIoctl = 25; // ENOTTY: a kernel older than 6.7
    private const int Einval = 22;

    /// <summary>A run of pages with the same categories: [Start, End) and <see cref="Present"/>, <see cref="File"/>, <see cref="Swapped"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Region
    {
        public ulong Start;
        public ulong End;
        public ulong Categories;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ScanArguments
    {
        public ulong Size;
        public ulong Flags;
        public ulong Start;
        public ulong End;
        public ulong WalkEnd;
        public ulong Vector;
        public ulong VectorLength;
        public ulong MaxPages;
        public ulong CategoryInverted;
        public ulong CategoryMask;
        public ulong CategoryAnyOfMask;
        public ulong ReturnMask;
    }

    /// <summary>
    /// Zaps (<c>madvise(MADV_DONTNEED)</c>) the runs of [start, end) that hold pages of the file's own and no copy, from the
    /// first such page to the last (what lies between is not present: nothing to lose); returns the copied pages kept, or
    /// -1 when the kernel has no such scan (then nothing was done).
    /// </summary>
    public static long ZapFilePages(SafeFileHandle pagemap, ulong start, ulong end)
    {
        var regions = stackalloc Region[RegionsPerCall];
        var arguments = new ScanArguments
        {
            Size = (ulong)sizeof(ScanArguments),
            Start = start,
            End = end,
            Vector = (ulong)regions,
            VectorLength = RegionsPerCall,
            CategoryAnyOfMask = Present | Swapped,
            ReturnMask = Present | Swapped | File,
        };
        var descriptor = (int)pagemap.DangerousGetHandle();
        var pageSize = (ulong)Environment.SystemPageSize;
        long copied = 0;
        ulong runStart = 0, runEnd = 0;
        while (true)
        {
            var count = Ioctl(descriptor, PagemapScan, &arguments);
            if (count < 0)
            {
                if (Marshal.GetLastPInvokeError() is NoSuchIoctl or Einval) return -1;
                break; // unmapped meanwhile: nothing more of it to give back
            }
            for (var i = 0; i < count; i++)
            {
                var region = regions[i];
                if ((region.Categories & (Present | File)) == (Present | File))
                {
                    if (runEnd == 0) runStart = region.Start;
                    runEnd = region.End;
                    continue;
                }
                // A private mapping's present (or swapped) page that is not the file's is a copy: never discarded.
                copied += (long)((region.End - region.Start) / pageSize);
                if (runEnd != 0) FilePageOut.Zap(runStart, runEnd);
                runEnd = 0;
            }
            if (arguments.WalkEnd == 0 || arguments.WalkEnd >= end) break;
            arguments.Start = arguments.WalkEnd;
        }
        if (runEnd != 0) FilePageOut.Zap(runStart, runEnd);
        return copied;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int descriptor, ulong request, ScanArguments* arguments);
}
