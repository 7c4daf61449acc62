using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Storage;
using Pipeliner.Server.Logs;
using Pipeliner.Server.Logs.Store;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Logs.Store;

public sealed class FileLogStoreTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, 123, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly DataLayout _layout;
    private readonly LogCompletions _completions = new();
    private readonly FileLogStore _store;

    public FileLogStoreTests()
    {
        _layout = new DataLayout(_directory.Path);
        _store = new FileLogStore(_layout, _completions, new ZstdCompressors(), TimeProvider.System, NullLogger<FileLogStore>.Instance);
    }

    public void Dispose() => _directory.Dispose();

    private LogRef Log(string job = "build") => LogRef.For(_layout, 7, job, 1);

    private static string Read(Stream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task AppendAsync_WritesTheLineFormat_WhenLinesArriveFromAnAgent()
    {
        var log = Log();
        await _store.AppendAsync(log, [new LogLine(Noon, "compiling"), new LogLine(Noon.AddSeconds(1), "done")], CancellationToken.None);

        Assert.Equal("2026-12-04T12:00:00.123Z compiling\n2026-12-04T12:00:01.123Z done\n", Read(_store.OpenRead(log)));
        Assert.Equal(_layout.JobLog("7", "build", 1), _store.PlainPath(log));
    }

    [Fact]
    public async Task AppendAsync_KeepsEachLineOneLineAndItsCharacters_WhenLinesHoldNewlinesAndNonAsciiText()
    {
        var log = Log();
        var longLine = new string('y', 5000); // longer than any first guess of a buffer
        await _store.AppendAsync(log, [new LogLine(Noon, "a\nb"), new LogLine(Noon, "naïve ✓ 日本"), new LogLine(Noon, ""), new LogLine(Noon, longLine)],
            CancellationToken.None);

        Assert.Equal($"2026-12-04T12:00:00.123Z a b\n2026-12-04T12:00:00.123Z naïve ✓ 日本\n2026-12-04T12:00:00.123Z \n2026-12-04T12:00:00.123Z {longLine}\n",
            Read(_store.OpenRead(log)));
    }

    [Fact]
    public async Task AppendAsync_StoresARemoteBatchOnce_WhenItIsResentAtTheSameOffset()
    {
        var log = Log();
        var batch = "2026-12-04T12:00:00.123Z token=abc\n2026-12-04T12:00:00.124Z next\n"u8.ToArray();

        var first = await _store.AppendAsync(log, 0, batch, new SecretMasker(["abc"]), CancellationToken.None);
        var again = await _store.AppendAsync(log, 0, batch, new SecretMasker(["abc"]), CancellationToken.None);

        Assert.True(first.Accepted);
        Assert.Equal(["token=***", "next"], first.Lines.Select(l => l.Text));
        Assert.False(again.Accepted);
        Assert.Equal(batch.Length, again.Length);
        Assert.Equal(batch.Length, await _store.LengthAsync(log, CancellationToken.None));
        Assert.Equal("2026-12-04T12:00:00.123Z token=***\n2026-12-04T12:00:00.124Z next\n", Read(_store.OpenRead(log)));
        Assert.False(await _store.CompleteAsync(log, batch.Length + 1, CancellationToken.None));
        Assert.True(await _store.CompleteAsync(log, batch.Length, CancellationToken.None));
        Assert.True(_completions.Reader.TryRead(out _));
    }

    [Fact]
    public async Task AppendAsync_CountsTheAgentsBytesByTheLog_WhenBatchesAreStoredAsSent()
    {
        var log = Log();
        var masker = new SecretMasker(["abc"]);
        var first = "2026-12-04T12:00:00.123Z one\n"u8.ToArray();
        var second = "2026-12-04T12:00:00.124Z two\n"u8.ToArray();

        Assert.True((await _store.AppendAsync(log, 0, first, masker, CancellationToken.None)).Accepted);
        Assert.False((await _store.AppendAsync(log, 0, first, masker, CancellationToken.None)).Accepted);
        Assert.True((await _store.AppendAsync(log, first.Length, second, masker, CancellationToken.None)).Accepted);

        Assert.False(File.Exists(_store.PlainPath(log) + ".received"));
        var total = first.Length + second.Length;
        Assert.Equal(total, await _store.LengthAsync(log, CancellationToken.None));
        Assert.True(await _store.CompressAsync(log, CancellationToken.None));
        Assert.Equal(total, await _store.LengthAsync(log, CancellationToken.None));
        Assert.True(await _store.CompleteAsync(log, total, CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_KeepsTheCountApart_WhenALaterBatchIsMasked()
    {
        var log = Log();
        var masker = new SecretMasker(["hunter2-long-secret"]);
        var plain = "2026-12-04T12:00:00.123Z one\n"u8.ToArray();
        var secret = "2026-12-04T12:00:00.124Z pw=hunter2-long-secret\n"u8.ToArray();

        await _store.AppendAsync(log, 0, plain, masker, CancellationToken.None);
        await _store.AppendAsync(log, plain.Length, secret, masker, CancellationToken.None);
        var third = await _store.AppendAsync(log, plain.Length + secret.Length, plain, masker, CancellationToken.None);

        Assert.True(third.Accepted);
        var sent = 2 * plain.Length + secret.Length;
        Assert.Equal(sent, await _store.LengthAsync(log, CancellationToken.None));
        Assert.NotEqual(sent, new FileInfo(_store.PlainPath(log)).Length);
        Assert.Contains("pw=***", Read(_store.OpenRead(log)), StringComparison.Ordinal);
        Assert.True(await _store.CompleteAsync(log, sent, CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_TakesTheCutShortLineAgain_WhenACrashCutTheLastBatch()
    {
        var log = Log();
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PlainPath(log))!);
        await File.WriteAllTextAsync(_store.PlainPath(log), "2026-12-04T12:00:00.123Z one\n2026-12-04T12:00:00.124Z pw=hun");
        var whole = "2026-12-04T12:00:00.124Z pw=hunter2\n"u8.ToArray();

        var length = await _store.LengthAsync(log, CancellationToken.None);
        var again = await _store.AppendAsync(log, length, whole, new SecretMasker(["hunter2"]), CancellationToken.None);

        Assert.Equal(29, length);
        Assert.True(again.Accepted);
        Assert.Equal("2026-12-04T12:00:00.123Z one\n2026-12-04T12:00:00.124Z pw=***\n", Read(_store.OpenRead(log)));
    }

    [Fact]
    public async Task AppendNoteAsync_KeepsTheAgentsCount_WhenANoteFollowsItsBatches()
    {
        var log = Log();
        var batch = "2026-12-04T12:00:00.123Z one\n"u8.ToArray();
        await _store.AppendAsync(log, 0, batch, new SecretMasker([]), CancellationToken.None);

        await _store.AppendNoteAsync(log, "pipeliner: artifacts refused", CancellationToken.None);

        Assert.Equal(batch.Length, await _store.LengthAsync(log, CancellationToken.None));
        Assert.True(await _store.CompleteAsync(log, batch.Length, CancellationToken.None));
        Assert.EndsWith("Z pipeliner: artifacts refused\n", Read(_store.OpenRead(log)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_ReadsWhereTheLogGotTo_WhenAnotherReplicaAppendedMeanwhile()
    {
        // Two servers on one data directory, as replicas sharing a volume.
        var other = new FileLogStore(_layout, new LogCompletions(), new ZstdCompressors(), TimeProvider.System, NullLogger<FileLogStore>.Instance);
        var log = Log();
        var first = "2026-12-04T12:00:00.123Z one\n"u8.ToArray();
        var second = "2026-12-04T12:00:00.124Z two\n"u8.ToArray();
        var third = "2026-12-04T12:00:00.125Z three\n"u8.ToArray();

        Assert.True((await _store.AppendAsync(log, 0, first, SecretMasker.None, CancellationToken.None)).Accepted);
        Assert.Equal(first.Length, await _store.LengthAsync(log, CancellationToken.None));
        Assert.True((await other.AppendAsync(log, first.Length, second, SecretMasker.None, CancellationToken.None)).Accepted);

        // The batch resent at its offset is refused with the true length.
        var resent = await _store.AppendAsync(log, first.Length, second, SecretMasker.None, CancellationToken.None);
        Assert.False(resent.Accepted);
        Assert.Equal(first.Length + second.Length, resent.Length);
        Assert.True((await _store.AppendAsync(log, first.Length + second.Length, third, SecretMasker.None, CancellationToken.None)).Accepted);
        Assert.Equal(first.Length + second.Length + third.Length, await other.LengthAsync(log, CancellationToken.None));
        Assert.True(await _store.CompleteAsync(log, first.Length + second.Length + third.Length, CancellationToken.None));
        Assert.Equal("2026-12-04T12:00:00.123Z one\n2026-12-04T12:00:00.124Z two\n2026-12-04T12:00:00.125Z three\n", Read(_store.OpenRead(log)));
    }

    [Fact]
    public void OpenRead_IsEmpty_WhenNothingWasWritten()
    {
        Assert.Equal("", Read(_store.OpenRead(Log())));
        Assert.Null(_store.SizeOf(Log()));
    }

    [Fact]
    public async Task Read_ClampsTheRangeToTheLog_WhenAskedBeyondItsEnd()
    {
        var log = Log();
        await _store.AppendAsync(log, [new LogLine(Noon, "abc")], CancellationToken.None);

        var middle = _store.Read(log, 25, 2);
        Assert.Equal((25L, 2L, 29L), (middle.Start, middle.Length, middle.Total));
        Assert.Equal("ab", Read(middle.Content));
        var beyond = _store.Read(log, 1000, 10);
        Assert.Equal((29L, 0L), (beyond.Start, beyond.Length));
        Assert.Equal("", Read(beyond.Content));
    }

    [Fact]
    public async Task CompressAsync_KeepsEveryReadIdentical_WhenTheLogSpansManyBlocks()
    {
        var log = Log();
        var lines = Enumerable.Range(1, 60_000).Select(i => new LogLine(Noon, $"line {i} \u001b[32mok\u001b[0m {Guid.NewGuid()}")).ToList();
        await _store.AppendAsync(log, lines, CancellationToken.None);
        var plain = await File.ReadAllBytesAsync(_store.PlainPath(log));
        var search = await _store.SearchAsync(log, "LINE 4242 OK", 10, CancellationToken.None);

        Assert.True(await _store.CompressAsync(log, CancellationToken.None));

        Assert.False(File.Exists(_store.PlainPath(log)));
        Assert.True(plain.Length > 3 * CompressedLog.BlockBytes);
        var size = _store.SizeOf(log)!;
        Assert.True(size.Compressed);
        Assert.Equal(plain.Length, size.Bytes);
        Assert.True(size.StoredBytes < plain.Length / 2, $"{size.StoredBytes} of {plain.Length}");
        using (var whole = new MemoryStream())
        {
            await using var stream = _store.OpenRead(log);
            await stream.CopyToAsync(whole);
            Assert.Equal(plain, whole.ToArray());
        }

        // Ranges inside a block, across a block boundary, at the end.
        foreach (var (offset, length) in new[] { (0L, 100L), (CompressedLog.BlockBytes - 10L, 50L), (plain.Length - 7L, 100L), (123_456L, 3_000_000L) })
        {
            var slice = _store.Read(log, offset, length);
            using var copy = new MemoryStream();
            await slice.Content.CopyToAsync(copy);
            var expected = plain.AsSpan((int)offset, (int)Math.Min(length, plain.Length - offset)).ToArray();
            Assert.Equal(expected, copy.ToArray());
            Assert.Equal(plain.Length, slice.Total);
        }

        var after = await _store.SearchAsync(log, "LINE 4242 OK", 10, CancellationToken.None);
        Assert.Equal(search.Matches, after.Matches);
        Assert.Single(after.Matches);
    }

    [Fact]
    public async Task AppendAsync_ReopensACompressedLog_WhenMoreLinesArrive()
    {
        var log = Log();
        await _store.AppendAsync(log, [new LogLine(Noon, "first")], CancellationToken.None);
        await _store.CompressAsync(log, CancellationToken.None);

        await _store.AppendAsync(log, [new LogLine(Noon, "late")], CancellationToken.None);

        Assert.False(File.Exists(_store.CompressedPath(log)));
        Assert.Equal("2026-12-04T12:00:00.123Z first\n2026-12-04T12:00:00.123Z late\n", Read(_store.OpenRead(log)));
    }

    [Fact]
    public async Task AppendNoteAsync_EndsACutOffLine_WhenTheWriterDied()
    {
        var log = Log();
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PlainPath(log))!);
        await File.WriteAllTextAsync(_store.PlainPath(log), "2026-12-04T12:00:00.123Z half a li");

        await _store.AppendNoteAsync(log, "pipeliner: lost", CancellationToken.None);

        var lines = Read(_store.OpenRead(log)).Split('\n');
        Assert.Equal("2026-12-04T12:00:00.123Z half a li", lines[0]);
        Assert.EndsWith("Z pipeliner: lost", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteAsync_FreesTheFile_WhetherPlainOrCompressed()
    {
        var plain = Log("a");
        var compressed = Log("b");
        await _store.AppendAsync(plain, [new LogLine(Noon, "x")], CancellationToken.None);
        await _store.AppendAsync(compressed, [new LogLine(Noon, "y")], CancellationToken.None);
        await _store.CompressAsync(compressed, CancellationToken.None);
        var stored = new FileInfo(_store.CompressedPath(compressed)).Length;

        Assert.Equal(27, await _store.DeleteAsync(plain, CancellationToken.None));
        Assert.Equal(stored, await _store.DeleteAsync(compressed, CancellationToken.None));
        Assert.Null(_store.SizeOf(plain));
        Assert.Null(_store.SizeOf(compressed));
    }

    [Fact]
    public async Task CompleteAsync_QueuesTheLogForSealing()
    {
        await _store.CompleteAsync(Log(), CancellationToken.None);
        Assert.True(_completions.Reader.TryRead(out var queued));
        Assert.Equal(Log(), queued);
    }

    [Theory]
    [InlineData("2026-12-04T12:00:00.123Z plain", "plain")]
    [InlineData("2026-12-04T12:00:00.123Z crlf\r", "crlf")]
    [InlineData("2026-12-04T12:00:00.123Z 10%\r50%\r100% done", "100% done")]
    [InlineData("2026-12-04T12:00:00.123Z \u001b[31mred\u001b[0m\r\u001b[1mbold\u001b[0m\r\r", "bold")]
    [InlineData("no timestamp", "no timestamp")]
    public void ShownLine_Of_FollowsTheViewersRules(string stored, string shown) => Assert.Equal(shown, ShownLine.Of(stored));
}
