using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Gives the process's clean file-backed pages back: the pages of the assemblies (<c>.dll</c>) and native libraries
/// (<c>.so</c>) the server read while it started or worked, most of which it does not touch again (about 90 MiB of an idle
/// server's RSS; docs/performance.md). Only mappings without write permission of regular files are concerned. Two ways:
/// <list type="bullet">
/// <item><c>madvise(MADV_DONTNEED)</c> (a "zap", every time): removes this process's page-table entries only. The pages
/// stay in the page cache, so a page used again is a minor fault, no disk read; it works for any user and any file.</item>
/// <item><c>madvise(MADV_PAGEOUT)</c> first when asked to reclaim (Linux 5.4+): it also frees the pages from the page cache,
/// but only of files the process's user owns or may write and no other process maps (a server running as another user
/// than its files' owner gives back nothing that way); a page used again is read back from the disk.</item>
/// </list>
/// A zap would discard copy-on-write pages of a private mapping (anonymous memory: relocations a loader wrote before it
/// made the pages read-only, a debugger's breakpoints), so it zaps only pages <c>/proc/self/pagemap</c> shows as the file's
/// own or not present, in ranges around the others (asked with <see cref="PageRegionScan"/> where the kernel has it, else
/// read page by page), and only mappings that were already there, unchanged, at the last
/// call: a loader writes relocations right after mapping (the mapping writable meanwhile, or its line split by the
/// <c>mprotect</c>), not seconds later. A mapping without write permission cannot gain a copy-on-write page otherwise:
/// writing to it needs an <c>mprotect</c>, which changes its line in <c>/proc/self/maps</c>.
/// </summary>
public sealed partial class FilePageOut
{
    private const int MadvDontNeed = 4;
    private const int MadvPageOut = 21;
    private const int Einval = 22;
    private const ulong Present = 1UL << 63;
    private const ulong Swapped = 1UL << 62;
    private const ulong FilePage = 1UL << 61;
    private const int EntriesPerRead = 512;

    private readonly bool _linux = OperatingSystem.IsLinux();
    private readonly ReadOnlyFileMappings _mappings = new();
    private bool _pageOutSupported = OperatingSystem.IsLinux();
    private bool _regionScan;

    public FilePageOut() : this(regionScan: true)
    {
    }

    /// <param name="regionScan">Whether the kernel's <c>PAGEMAP_SCAN</c> is tried (<see cref="PageRegionScan"/>); without
    /// it, or on a kernel without it, <c>/proc/self/pagemap</c> is read page by page.</param>
    internal FilePageOut(bool regionScan) => _regionScan = regionScan;

    /// <summary>
    /// The RSS of the process's file-backed pages before and after, in bytes; the read-only file mappings found; the
    /// pages kept because they are copy-on-write copies.
    /// </summary>
    public readonly record struct Outcome(long FileRssBefore, long FileRssAfter, int Mappings, long CopiedPagesKept);

    /// <summary>
    /// Zaps the pages of every read-only file mapping this process already had at the last call; with
    /// <paramref name="reclaim"/>, pages them out first (freeing them from the page cache where the kernel lets it).
    /// Nothing (0 mappings) off Linux.
    /// </summary>
    public Outcome PageOut(bool reclaim = false)
    {
        if (!_linux) return default;
        var before = FileRss();
        var mappings = _mappings.Read();
        if (reclaim && _pageOutSupported) PageOutAll(mappings);
        long kept = 0;
        using (var pagemap = File.OpenHandle("/proc/self/pagemap"))
        {
            foreach (ref readonly var mapping in mappings)
            {
                if (_mappings.WasThereBefore(mapping)) kept += ZapFilePages(pagemap, mapping);
            }
        }
        return new Outcome(before, FileRss(), mappings.Length, kept);
    }

    private void PageOutAll(ReadOnlySpan<ReadOnlyFileMapping> mappings)
    {
        int refused = 0;
        foreach (ref readonly var mapping in mappings)
        {
            if (Madvise(mapping.Address, mapping.Length, MadvPageOut) == 0) continue;
            // EINVAL: a locked mapping, or a kernel older than 5.4 (every mapping refused); ENOMEM: unmapped meanwhile.
            if (Marshal.GetLastPInvokeError() == Einval) refused++;
        }
        if (mappings.Length > 0 && refused == mappings.Length) _pageOutSupported = false;
    }

    private long ZapFilePages(SafeFileHandle pagemap, in ReadOnlyFileMapping mapping)
    {
        if (_regionScan)
        {
            var copied = PageRegionScan.ZapFilePages(pagemap, mapping.Start, mapping.End);
            if (copied >= 0) return copied;
            _regionScan = false; // a kernel older than 6.7
        }
        return ZapFilePagesReadingPagemap(pagemap, mapping.Address, mapping.Length);
    }

    /// <summary>Zaps the runs of pages that are the file's or not present; returns the copy-on-write pages left.</summary>
    private static long ZapFilePagesReadingPagemap(SafeFileHandle pagemap, nint start, nuint length)
    {
        var pageSize = (ulong)Environment.SystemPageSize;
        var firstPage = (ulong)start / pageSize;
        var pages = (ulong)length / pageSize;
        var entries = ArrayPool<ulong>.Shared.Rent(EntriesPerRead);
        long kept = 0;
        ulong runStart = 0, runLength = 0;
        var runResident = false;
        try
        {
            for (ulong done = 0; done < pages;)
            {
                var count = (int)Math.Min((ulong)EntriesPerRead, pages - done);
                var bytes = MemoryMarshal.AsBytes(entries.AsSpan(0, count));
                var read = RandomAccess.Read(pagemap, bytes, (long)((firstPage + done) * sizeof(ulong)));
                if (read < bytes.Length) return kept; // unmapped meanwhile
                for (var i = 0; i < count; i++, done++)
                {
                    var entry = entries[i];
                    // A private mapping's present (or swapped) page that is not the file's is a copy: never discarded.
                    var copied = (entry & FilePage) == 0 && (entry & (Present | Swapped)) != 0;
                    if (copied)
                    {
                        kept++;
                        if (runResident) Zap(start, runStart, runLength, pageSize);
                        runLength = 0;
                        runResident = false;
                        continue;
                    }
                    if (runLength == 0) runStart = done;
                    runLength++;
                    runResident |= (entry & Present) != 0;
                }
            }
            if (runResident) Zap(start, runStart, runLength, pageSize);
            return kept;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(entries);
        }
    }

    private static void Zap(nint start, ulong firstPage, ulong pages, ulong pageSize) =>
        Madvise(start + (nint)(firstPage * pageSize), (nuint)(pages * pageSize), MadvDontNeed);

    /// <summary>Zaps [start, end): its page-table entries go, the pages stay in the page cache.</summary>
    internal static void Zap(ulong start, ulong end) => Madvise((nint)start, (nuint)(end - start), MadvDontNeed);

    /// <summary>The read-only file mappings of a <c>/proc/&lt;pid&gt;/maps</c> text (see <see cref="ReadOnlyFileMapping.TryParse"/>).</summary>
    public static ReadOnlyFileMapping[] ReadOnlyFileMappings(ReadOnlySpan<byte> mapsText) => new ReadOnlyFileMappings().Parse(mapsText).ToArray();

    /// <summary>
    /// The process's resident file-backed pages (<c>RssFile</c> of <c>/proc/self/status</c>), in bytes; 0 where there is no
    /// such line. Read into a buffer on the stack: it is read every second, and a reader of lines allocated ~10 KB each time.
    /// </summary>
    public static long FileRss()
    {
        Span<byte> status = stackalloc byte[8192];
        int length;
        using (var handle = File.OpenHandle("/proc/self/status")) length = RandomAccess.Read(handle, status, 0);
        return FileRss(status[..length]);
    }

    /// <summary>The <c>RssFile:</c> line of a <c>/proc/&lt;pid&gt;/status</c> text, in bytes (0 without one).</summary>
    public static long FileRss(ReadOnlySpan<byte> status)
    {
        var key = "\nRssFile:"u8;
        var at = status.IndexOf(key);
        if (at < 0) return 0;
        var rest = status[(at + key.Length)..];
        var end = rest.IndexOf((byte)'\n');
        if (end >= 0) rest = rest[..end];
        rest = rest.Trim(" \t"u8);
        if (rest.EndsWith("kB"u8)) rest = rest[..^2].TrimEnd((byte)' ');
        return long.Parse(rest, NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
