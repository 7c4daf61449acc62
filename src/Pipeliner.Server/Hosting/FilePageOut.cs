using System.Globalization;
using System.Runtime.InteropServices;

namespace Pipeliner.Server.Hosting;

/// <summary>
/// Gives the process's clean file-backed pages back to the system: the pages of the assemblies (<c>.dll</c>) and native
/// libraries (<c>.so</c>) the server read while it started or worked, most of which an idle server does not touch again
/// (about 90 MiB of an idle server's RSS; docs/performance.md). Linux's <c>madvise(MADV_PAGEOUT)</c> (5.4 and later; the
/// technique Android uses to compact cached apps) reclaims them at once; a page used again is read back from the file
/// (the page cache, or the disk if it was evicted meanwhile). Only mappings without write permission are asked, so only
/// clean pages are concerned and nothing can be lost: <c>MADV_PAGEOUT</c> never discards data (a copy-on-write page of a
/// private mapping is anonymous memory, which it leaves alone without swap and swaps out with it). The kernel pages out
/// only pages no other process maps, and only of files the process's user owns or may write (others are left as they
/// are, without an error): the runtime's files, owned by root, are not given back by a server running as another user.
/// </summary>
public sealed class FilePageOut
{
    private const int MadvPageOut = 21;
    private const int Einval = 22;

    private bool _supported = OperatingSystem.IsLinux();

    /// <summary>The RSS of the process's file-backed pages before and after, in bytes, and the mappings asked.</summary>
    public readonly record struct Outcome(long FileRssBefore, long FileRssAfter, int Mappings);

    /// <summary>Pages out every read-only file-backed mapping of this process; nothing (0 mappings) where that is unsupported.</summary>
    public Outcome PageOut()
    {
        if (!_supported) return default;
        var before = FileRss();
        var mappings = ReadOnlyFileMappings(File.ReadLines("/proc/self/maps"));
        int asked = 0, refused = 0;
        foreach (var (start, length) in mappings)
        {
            asked++;
            if (Madvise(start, length, MadvPageOut) == 0) continue;
            // EINVAL: a locked mapping, or a kernel older than 5.4 (every mapping refused); ENOMEM: unmapped meanwhile.
            if (Marshal.GetLastPInvokeError() == Einval) refused++;
        }
        if (asked > 0 && refused == asked) _supported = false;
        return new Outcome(before, FileRss(), asked);
    }

    /// <summary>
    /// The read-only mappings of regular files in <c>/proc/&lt;pid&gt;/maps</c> lines (start address, length): not
    /// writable (so their pages are clean), backed by a path (not anonymous memory, the stack or the vDSO), not a memfd (the
    /// runtime's double-mapped code and type data, which is memory, not a file) and not a device.
    /// </summary>
    public static IReadOnlyList<(nint Start, nuint Length)> ReadOnlyFileMappings(IEnumerable<string> mapsLines)
    {
        var found = new List<(nint, nuint)>();
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
            found.Add(((nint)start, (nuint)(end - start)));
        }
        return found;
    }

    /// <summary>The process's resident file-backed pages (<c>RssFile</c> of <c>/proc/self/status</c>), in bytes.</summary>
    public static long FileRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("RssFile:", StringComparison.Ordinal)) continue;
            var kib = line.AsSpan("RssFile:".Length).Trim();
            if (kib.EndsWith("kB", StringComparison.Ordinal)) kib = kib[..^2].TrimEnd();
            return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
