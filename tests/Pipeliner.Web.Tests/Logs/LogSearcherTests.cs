using System.Text;
using Pipeliner.Server.Dashboard;

namespace Pipeliner.Web.Tests.Logs;

public sealed class LogSearcherTests
{
    private static MemoryStream Stored(params string[] lines) =>
        new(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => $"2026-11-26T21:59:45.123Z {l}\n"))));

    private static async Task<List<LogMatch>> SearchAsync(Stream log, string query, int limit = 1000) =>
        (await LogSearcher.SearchAsync(log, query, limit, CancellationToken.None)).Matches;

    [Fact]
    public async Task Finds_text_in_any_case_but_not_in_the_timestamp()
    {
        var matches = await SearchAsync(Stored("Build OK", "2026 was a year", "ok then"), "ok");
        Assert.Equal([1L, 3L], matches.Select(m => m.Line));
        Assert.Empty(await SearchAsync(Stored("nothing"), "21:59"));
    }

    [Fact]
    public async Task Matches_text_split_by_colour_codes_and_ignores_the_codes_themselves()
    {
        var matches = await SearchAsync(Stored("\u001b[1mfail\u001b[0med to connect", "plain"), "failed to");
        Assert.Equal("failed to connect", Assert.Single(matches).Text);
        Assert.Empty(await SearchAsync(Stored("\u001b[31mred\u001b[0m"), "31m"));
    }

    [Fact]
    public async Task Offsets_point_at_the_line_starts_across_read_blocks()
    {
        // Lines of multi-byte characters spread over several 1 MiB read blocks.
        var lines = Enumerable.Range(1, 60_000).Select(i => i % 7000 == 0 ? $"été needle {i}" : $"été line {i} {new string('·', 10)}").ToArray();
        var bytes = Stored(lines).ToArray();
        var matches = await SearchAsync(new MemoryStream(bytes), "NEEDLE");

        Assert.Equal(Enumerable.Range(1, 8).Select(k => (long)k * 7000), matches.Select(m => m.Line));
        foreach (var match in matches)
        {
            var text = Encoding.UTF8.GetString(bytes, (int)match.Offset, 60);
            Assert.StartsWith($"2026-11-26T21:59:45.123Z été needle {match.Line}", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stops_at_the_limit_and_says_so()
    {
        var (matches, truncated) = await LogSearcher.SearchAsync(Stored([.. Enumerable.Repeat("hit", 20)]), "hit", 5, CancellationToken.None);
        Assert.Equal(5, matches.Count);
        Assert.True(truncated);
    }

    [Fact]
    public async Task Counts_lines_without_a_timestamp_and_a_last_line_without_newline()
    {
        var log = new MemoryStream("raw line\r\nsecond\nthird hit"u8.ToArray());
        var match = Assert.Single(await SearchAsync(log, "HIT"));
        Assert.Equal(3, match.Line);
        Assert.Equal("third hit", match.Text);
    }

    [Fact]
    public async Task Cuts_long_matching_lines_in_the_answer()
    {
        var match = Assert.Single(await SearchAsync(Stored("needle " + new string('x', 5000)), "needle"));
        Assert.Equal(LogSearcher.MaxTextLength, match.Text.Length);
    }
}
