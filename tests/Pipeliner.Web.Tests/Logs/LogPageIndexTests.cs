using System.Text;
using Pipeliner.Server.Dashboard;

namespace Pipeliner.Web.Tests.Logs;

public sealed class LogPageIndexTests
{
    private const long Page = LogPageIndex.PageBytes;

    /// <summary>Lines of the given lengths (newline included), and the offset at which each starts.</summary>
    private static (MemoryStream Log, List<long> Starts) Log(IEnumerable<int> lengths)
    {
        var log = new MemoryStream();
        var starts = new List<long>();
        foreach (var length in lengths)
        {
            starts.Add(log.Length);
            log.Write(Encoding.ASCII.GetBytes(new string('x', length - 1) + "\n"));
        }

        return (log, starts);
    }

    [Fact]
    public async Task Pages_start_at_the_first_line_at_or_after_each_page_boundary()
    {
        // 40 MiB of 1000-byte lines: three pages.
        var (log, starts) = Log(Enumerable.Repeat(1000, 42_000));
        var (pages, lines, size) = await new LogPageIndex().IndexAsync("/a.log", log, CancellationToken.None);

        Assert.Equal(42_000, lines);
        Assert.Equal(log.Length, size);
        Assert.Equal(3, pages.Count);
        Assert.Equal(new LogPageStart(0, 1), pages[0]);
        for (var k = 1; k < pages.Count; k++)
        {
            var expected = starts.FindIndex(start => start >= k * Page);
            Assert.Equal(new LogPageStart(starts[expected], expected + 1), pages[k]);
        }
    }

    [Fact]
    public async Task A_line_exactly_at_a_boundary_starts_the_page()
    {
        var (log, _) = Log([(int)Page, 10, 10]);
        var (pages, lines, _) = await new LogPageIndex().IndexAsync("/b.log", log, CancellationToken.None);
        Assert.Equal([new LogPageStart(0, 1), new LogPageStart(Page, 2)], pages);
        Assert.Equal(3, lines);
    }

    [Fact]
    public async Task A_growing_log_is_counted_on_from_where_it_was()
    {
        var index = new LogPageIndex();
        var (log, _) = Log(Enumerable.Repeat(4096, 3000));
        var (before, linesBefore, _) = await index.IndexAsync("/c.log", log, CancellationToken.None);
        Assert.Single(before);
        Assert.Equal(3000, linesBefore);

        log.Seek(0, SeekOrigin.End);
        var more = Log(Enumerable.Repeat(4096, 3000)).Log.ToArray();
        log.Write(more);
        log.Write("no newline yet"u8);
        var (after, linesAfter, size) = await index.IndexAsync("/c.log", log, CancellationToken.None);
        Assert.Equal(2, after.Count);
        Assert.Equal(new LogPageStart(4096L * 4096, 4097), after[1]);
        Assert.Equal(6001, linesAfter);
        Assert.Equal(log.Length, size);
    }

    [Fact]
    public async Task A_replaced_shorter_file_is_counted_again()
    {
        var index = new LogPageIndex();
        await index.IndexAsync("/d.log", Log(Enumerable.Repeat(100, 100)).Log, CancellationToken.None);
        var (_, lines, size) = await index.IndexAsync("/d.log", Log([5, 5]).Log, CancellationToken.None);
        Assert.Equal(2, lines);
        Assert.Equal(10, size);
    }

    [Fact]
    public async Task An_empty_log_has_one_empty_page()
    {
        var (pages, lines, size) = await new LogPageIndex().IndexAsync("/e.log", new MemoryStream(), CancellationToken.None);
        Assert.Equal([new LogPageStart(0, 1)], pages);
        Assert.Equal(0, lines);
        Assert.Equal(0, size);
    }
}
