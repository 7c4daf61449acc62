using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>When the files' pages are given back: as they grow, after work, and at idle once a little came back.</summary>
public class FilePagesGrowthTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public void Grown_SaysSo_WhenTheFilesGrewByTheThresholdSinceTheLastTime()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: false);

        Assert.False(files.Grown(48 * MiB - 1));
        Assert.True(files.Grown(48 * MiB));
        files.PagedOut(45 * MiB, whileIdle: false);

        // Counted from what stayed after the last time, not from the first.
        Assert.False(files.Grown(48 * MiB));
        Assert.True(files.Grown(53 * MiB));
    }

    [Fact]
    public void Grown_NeverSaysSo_WhenTheThresholdIsZero()
    {
        var files = new FilePagesGrowth(0);

        Assert.False(files.Checked);
        Assert.False(files.Grown(4096 * MiB));
    }

    [Fact]
    public void Due_Reclaims_AtTheFirstIdleWindowAfterWork()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: false);
        Assert.Equal(FilePagesDue.None, files.Due(windowIdle: false, 41 * MiB));

        // Whatever came back: what the work read, the idle server does not use.
        Assert.Equal(FilePagesDue.Reclaim, files.Due(windowIdle: true, 40 * MiB));
    }

    [Fact]
    public void Due_Reclaims_AtTheFirstIdleWindow_WhenStartingWasTheWork()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: false);

        Assert.Equal(FilePagesDue.Reclaim, files.Due(windowIdle: true, 40 * MiB));
    }

    [Fact]
    public void Due_ZapsABusyWindowsFiles_WhenTheyGrewByTheThreshold()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: true);

        Assert.Equal(FilePagesDue.None, files.Due(windowIdle: false, 47 * MiB));
        Assert.Equal(FilePagesDue.Zap, files.Due(windowIdle: false, 48 * MiB));
    }

    [Fact]
    public void Due_ZapsAtIdle_OnlyOnceIdlenessReadBackEnough()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: true);

        Assert.Equal(FilePagesDue.None, files.Due(windowIdle: true, 40 * MiB + FilePagesGrowth.ReadBackWorthZapping - 1));
        Assert.Equal(FilePagesDue.Zap, files.Due(windowIdle: true, 40 * MiB + FilePagesGrowth.ReadBackWorthZapping));
        files.PagedOut(39 * MiB, whileIdle: true);

        // Again and again: what idleness reads back every few seconds costs only minor faults.
        Assert.Equal(FilePagesDue.Zap, files.Due(windowIdle: true, 39 * MiB + FilePagesGrowth.ReadBackWorthZapping));
    }

    [Fact]
    public void Due_Reclaims_AtTheFirstIdleWindow_WhenTheLastTimeWasWhileWorking()
    {
        var files = new FilePagesGrowth(8 * MiB);
        files.PagedOut(40 * MiB, whileIdle: true);
        Assert.Equal(FilePagesDue.Zap, files.Due(windowIdle: false, 60 * MiB));
        files.PagedOut(30 * MiB, whileIdle: false);

        // The end of the work read its pages back afterwards: the work's, given back with the page cache's.
        Assert.Equal(FilePagesDue.Reclaim, files.Due(windowIdle: true, 31 * MiB));
        files.PagedOut(30 * MiB, whileIdle: true);
        Assert.Equal(FilePagesDue.None, files.Due(windowIdle: true, 31 * MiB));
    }
}
