namespace Pipeliner.Server.Hosting;

/// <summary>How the files' pages are given back (<see cref="FilePageOut"/>): not at all, zapped, or paged out first.</summary>
public enum FilePagesDue
{
    None,

    /// <summary>Taken out of the process only: they stay in the page cache, a page used again costs a minor fault.</summary>
    Zap,

    /// <summary>Paged out of the page cache first where the kernel lets it, then zapped: a page used again is read from the disk.</summary>
    Reclaim,
}

/// <summary>
/// When the files' pages are given back, from their resident size (<c>RssFile</c>) against what stayed after the last time:
/// <list type="bullet">
/// <item>as soon as they grew by <c>growthWorthPagingOut</c> (<c>Pipeliner:FilePageOutGrowthMiB</c>; 0: never that way),
/// busy or idle, checked every second: a start's or a burst's first runs read the code of everything they call once (the
/// JIT's metadata and IL, the kernel mapping 16 pages around each fault), ~25 MiB more than the runs use afterwards
/// (docs/performance.md), and that formed the peak before a 10 s window ended;</item>
/// <item>at the first idle window after work, reclaimed from the page cache too (what the work read, an idle server does
/// not use; it is worth a disk read if it comes back);</item>
/// <item>at a later idle window once idleness read back <see cref="ReadBackWorthZapping"/>: a zap costs a few
/// milliseconds and what comes back only minor faults, so what idleness reads every few seconds may be taken again and
/// again. (With the page-out alone, every page read back cost a disk read, so the rule waited for 4 MiB beyond what the
/// first window read back, and on a faster machine it never fired: idleness read back 38–40 MiB at once.)</item>
/// </list>
/// </summary>
public sealed class FilePagesGrowth(long growthWorthPagingOut)
{
    public const long ReadBackWorthZapping = 2L << 20;

    private long _pagedOutTo;
    private bool _worked = true;

    /// <summary>Whether the growth is checked between windows at all.</summary>
    public bool Checked => growthWorthPagingOut > 0;

    /// <summary>Whether the pages grew enough since the last time to be zapped at once, busy or idle.</summary>
    public bool Grown(long fileRss) => Checked && fileRss - _pagedOutTo >= growthWorthPagingOut;

    /// <summary>How a window gives the pages back: a busy one notes the work and checks the growth; an idle one, see above.</summary>
    public FilePagesDue Due(bool windowIdle, long fileRss)
    {
        if (!windowIdle)
        {
            _worked = true;
            return Grown(fileRss) ? FilePagesDue.Zap : FilePagesDue.None;
        }
        if (_worked) return FilePagesDue.Reclaim;
        return fileRss - _pagedOutTo >= ReadBackWorthZapping ? FilePagesDue.Zap : FilePagesDue.None;
    }

    /// <summary>
    /// The resident file pages after giving them back. Only an idle window's ends the work: one made while working (or at
    /// start) leaves what the rest of the work reads for the first idle window.
    /// </summary>
    public void PagedOut(long fileRssAfter, bool whileIdle)
    {
        _pagedOutTo = fileRssAfter;
        if (whileIdle) _worked = false;
    }
}
