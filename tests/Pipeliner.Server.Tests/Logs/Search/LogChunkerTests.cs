using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Server.Logs.Search;

namespace Pipeliner.Server.Tests.Logs.Search;

/// <summary>
/// The chunker sizes its buffers to the log it reads: the pieces must be the same whether it knows the log's length, does
/// not (a stream that cannot seek: the largest buffer), or was told too little (a log that grew after it was opened).
/// </summary>
public sealed class LogChunkerTests
{
    private static readonly SecretMasker Masker = new(["s3cr3t"]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(5_000)]
    [InlineData(40_000)]
    public async Task ChunksAsync_CutsTheSamePieces_WhetherOrNotItKnowsTheLogsLength(int lines)
    {
        var log = Log(lines, longLineAt: -1);

        var sized = await Chunks(new ReportedLengthStream(log, log.Length));
        var unsized = await Chunks(new ReportedLengthStream(log, null));

        Assert.Equal(unsized, sized);
        Assert.Equal(log.Length, sized.Sum(c => c.Length));
        if (lines > 0) Assert.Equal(lines, sized.Sum(c => c.Text.Split('\n').Length));
    }

    [Fact]
    public async Task ChunksAsync_ReadsTheWholeLog_WhenItGrewAfterItsLengthWasTaken()
    {
        // A line of 600 KB (longer than a piece) in 4 MB of lines, read from a stream that says it holds 100 bytes.
        var log = Log(60_000, longLineAt: 20_000);
        Assert.True(log.Length > 2 * (LogChunker.MaxChunkBytes + 1024 * 1024));

        var grown = await Chunks(new ReportedLengthStream(log, 100));
        var unsized = await Chunks(new ReportedLengthStream(log, null));

        Assert.Equal(unsized, grown);
        Assert.Equal(log.Length, grown.Sum(c => c.Length));
        Assert.Contains(grown, c => c.Length > 600_000); // the long line, whole, as the full buffer cuts it
        Assert.Contains(grown, c => c.Text.Contains("line 59999 *** tail", StringComparison.Ordinal));
    }

    private static byte[] Log(int lines, int longLineAt)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines; i++)
        {
            if (i > 0) text.Append('\n');
            text.Append("2026-12-04T12:00:00.000Z ");
            text.Append(i == longLineAt ? new string('x', 600_000) : $"line {i} s3cr3t \u001b[1mtail\u001b[0m {i % 7}");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<List<IndexChunk>> Chunks(Stream log) =>
        await LogChunker.ChunksAsync(log, Masker, CancellationToken.None).ToListAsync();

    /// <summary>A log's bytes behind a length that may be missing (cannot seek) or smaller than what is there.</summary>
    private sealed class ReportedLengthStream(byte[] bytes, long? length) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);

        public override bool CanRead => true;
        public override bool CanSeek => length is not null;
        public override bool CanWrite => false;
        public override long Length => length ?? throw new NotSupportedException();

        public override long Position
        {
            get => _inner.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
