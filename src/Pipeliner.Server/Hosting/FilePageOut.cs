using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;

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
/// own or not present, in ranges around the others, and only mappings that were already there, unchanged, at the last
/// call: a loader writes relocations right after mapping (the mapping writable meanwhile, or its line split by the
/// <c>mprotect</c>), not seconds later. A mapping without write permission cannot gain a copy-on-write page otherwise:
/// writing to it needs an <c>mprotect</c>, which changes its line in <c>/proc/self/maps</c>.
/// </summary>
public sealed class FilePageOut
{
    private const int MadvDontNeed = 4;
    private const int MadvPageOut = 21;
    private const int Einval = 22;
    private const ulong Present = 1UL << 63;
    private const ulong Swapped = 1UL << 62;
    private const ulong FilePage = 1UL << 61;
    private const int EntriesPerRead = 512;

    private readonly bool _linux = OperatingSystem.IsLinux();
    private bool _pageOutSupported = OperatingSystem.IsLinux();
    private HashSet<string> _seenBefore = new(StringComparer.Ordinal);

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
        var lines = File.ReadAllLines("/proc/self/maps");
        var mappings = ReadOnlyFileMappings(lines);
        if (reclaim && _pageOutSupported) PageOutAll(mappings);
        long kept = 0;
        using (var pagemap = File.OpenHandle("/proc/self/pagemap"))
        {
            foreach (var mapping in mappings)
            {
                if (_seenBefore.Contains(mapping.Line)) kept += ZapFilePages(pagemap, mapping.Start, mapping.Length);
            }
        }
        _seenBefore = new HashSet<string>(mappings.Select(mapping => mapping.Line), StringComparer.Ordinal);
        return new Outcome(before, FileRss(), mappings.Count, kept);
    }

    private void PageOutAll(IReadOnlyList<ReadOnlyFileMapping> mappings)
    {
        int refused = 0;
        foreach (var mapping in mappings)
        {
            if (Madvise(mapping.Start, mapping.Length, MadvPageOut) == 0) continue;
            // EINVAL: a locked mapping, or a kernel older than 5.4 (every mapping refused); ENOMEM: unmapped meanwhile.
            if (Marshal.GetLastPInvokeError() == Einval) refused++;
        }
        if (mappings.Count > 0 && refused == mappings.Count) _pageOutSupported = false;
    }

    /// <summary>Zaps the runs of pages that are the file's or not present; returns the copy-on-write pages left.</summary>
    private static long ZapFilePages(Microsoft.Win32.SafeHandles.SafeFileHandle pagemap, nint start, nuint length)
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

    /// <summary>A read-only mapping of a regular file: its address range, and its whole line (to know it again).</summary>
    public readonly record struct ReadOnlyFileMapping(nint Start, nuint Length, string Line);

    /// <summary>
    /// The read-only mappings of regular files in <c>/proc/&lt;pid&gt;/maps</c> lines: not writable, backed by a path (not
    /// anonymous memory, the stack or the vDSO), not a memfd (the runtime's double-mapped code and type data, which is
    /// memory, not a file) and not a device.
    /// </summary>
    public static IReadOnlyList<ReadOnlyFileMapping> ReadOnlyFileMappings(IEnumerable<string> mapsLines)
    {
        var found = new List<ReadOnlyFileMapping>();
        foreach (var line in mapsLines)
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || fields[1].Length < 4 || fields[1][1] == 'w') continue;
            var path = fields[5].Trim();
            if (!path.StartsWith('/') || path.StartsWith("/memfd:", StringComparison.Ordinal) || path.StartsWith("/dev/", StringComparison.Ordinal)) continue;
            var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
            if (dash < 0
                || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                || end <= start) continue;
            found.Add(new ReadOnlyFileMapping((nint)start, (nuint)(end - start), line));
        }
        return found;
    }

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

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
