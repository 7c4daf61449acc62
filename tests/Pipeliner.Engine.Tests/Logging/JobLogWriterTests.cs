using System.Globalization;
using System.Text;
using Pipeliner.Engine.Logging;
using Pipeliner.Engine.Tests.Support;

namespace Pipeliner.Engine.Tests.Logging;

public sealed class JobLogWriterTests : IDisposable
{
    private readonly TempDirectory _directory = new("logs");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task CopyFromAsync_PrefixesEveryLineWithUtcTimestamp_WhenOutputArrives()
    {
        var time = new SteppingTime(new DateTimeOffset(2026, 11, 26, 21, 59, 45, 123, TimeSpan.Zero));
        var path = _directory.Combine("job", "1.log");
        await using (var log = new JobLogWriter(path, SecretMasker.None, time))
        {
            await log.CopyFromAsync(new MemoryStream("first\nsecond\n"u8.ToArray()), CancellationToken.None);
        }

        Assert.Equal(["2026-11-26T21:59:45.123Z first", "2026-11-26T21:59:45.124Z second"], await File.ReadAllLinesAsync(path));
    }

    [Fact]
    public async Task CopyFromAsync_KeepsEveryCopysOutputApart_WhenMoreCopiesRunAtOnceThanBuffersAreKept()
    {
        // Twelve at once, twice: the read buffers kept from one copy to the next (eight) are taken, made anew and given back.
        for (var round = 0; round < 2; round++)
        {
            var copies = Enumerable.Range(0, 12).Select(async i =>
            {
                var path = _directory.Combine($"round{round}", $"{i}.log");
                var output = string.Concat(Enumerable.Range(0, 2000).Select(n => $"copy {i} line {n} {new string((char)('a' + i), 40)}\n"));
                await using (var log = new JobLogWriter(path, SecretMasker.None, TimeProvider.System))
                    await log.CopyFromAsync(new TrickleStream(Encoding.UTF8.GetBytes(output)), CancellationToken.None);
                return (i, Lines: await File.ReadAllLinesAsync(path));
            }).ToList();

            foreach (var (i, lines) in await Task.WhenAll(copies))
                Assert.Equal(Enumerable.Range(0, 2000).Select(n => $"copy {i} line {n} {new string((char)('a' + i), 40)}"),
                    lines.Select(l => l[(JobLogWriter.TimestampLength + 1)..]));
        }
    }

    /// <summary>Output that comes a few kilobytes per read, and lets other copies run between reads.</summary>
    private sealed class TrickleStream(byte[] content) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            Thread.Yield();
            return base.Read(buffer, offset, Math.Min(count, 3000));
        }
    }

    [Fact]
    public async Task CopyFromAsync_CutsTheLogAndSaysWhere_WhenOutputPassesItsLimitButReadsItAll()
    {
        var path = _directory.Combine("cut", "1.log");
        var output = new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:000} {new string('x', 90)}\n"))));
        await using (var log = new JobLogWriter(path, SecretMasker.None, TimeProvider.System, maxOutputBytes: 1280))
        {
            await log.CopyFromAsync(output, CancellationToken.None);
            log.WriteLine("pipeliner: job succeeded");
        }

        var texts = (await File.ReadAllLinesAsync(path)).Select(l => l[(JobLogWriter.TimestampLength + 1)..]).ToList();
        Assert.Equal(output.Length, output.Position);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"line {i:000} {new string('x', 90)}"), texts.Take(10));
        Assert.Equal("pipeliner: the log is cut here: the job's output reached its limit of 1.25Ki (resources.log); the job goes on, its further output is not stored", texts[10]);
        Assert.Equal("pipeliner: 90 more lines (9000 bytes) of output were not stored: the log's limit is 1.25Ki", texts[11]);
        Assert.Equal("pipeliner: job succeeded", texts[^1]);
        Assert.Equal(13, texts.Count);
    }

    [Fact]
    public async Task WriteLine_MasksAndReportsEachLine_WhenTextHasSeveralLines()
    {
        var seen = new List<LogLine>();
        var path = _directory.Combine("2.log");
        await using (var log = new JobLogWriter(path, new SecretMasker(["tok-12345"]), TimeProvider.System, seen.Add))
        {
            log.WriteLine("pipeliner: one tok-12345\npipeliner: two");
            Assert.Equal(2, log.Lines);
        }

        Assert.Equal(["pipeliner: one ***", "pipeliner: two"], seen.Select(l => l.Text));
        Assert.All(await File.ReadAllLinesAsync(path), line =>
        {
            Assert.True(DateTimeOffset.TryParseExact(line[..JobLogWriter.TimestampLength], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'",
                CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), line);
            Assert.DoesNotContain("tok-12345", line);
        });
    }

    [Fact]
    public async Task CopyFromAsync_GivesTheObserverEveryMaskedLineWithinTheLimitAndWritesNoFile_WhenThereIsNoPath()
    {
        var seen = new List<LogLine>();
        var output = new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $"line {i:000} tok-12345 {new string('x', 80)}\n"))));
        await using (var log = new JobLogWriter(null, new SecretMasker(["tok-12345"]), TimeProvider.System, seen.Add, maxOutputBytes: 1280))
        {
            await log.CopyFromAsync(output, CancellationToken.None);
            log.WriteLine("pipeliner: job succeeded");
            Assert.Equal(13, log.Lines);
        }

        var texts = seen.Select(l => l.Text).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"line {i:000} *** {new string('x', 80)}"), texts.Take(10));
        Assert.StartsWith("pipeliner: the log is cut here", texts[10], StringComparison.Ordinal);
        Assert.Equal("pipeliner: job succeeded", texts[^1]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory.Path));
    }

    [Fact]
    public async Task CopyFromAsync_KeepsLinesWhole_WhenPipelinerWritesLinesAtTheSameTime()
    {
        var path = _directory.Combine("3.log");
        var output = string.Concat(Enumerable.Range(0, 2000).Select(i => $"output line {i} {new string('o', 100)}\n"));
        await using (var log = new JobLogWriter(path, SecretMasker.None, TimeProvider.System))
        {
            var copy = log.CopyFromAsync(new SlowStream(Encoding.UTF8.GetBytes(output), chunk: 777), CancellationToken.None);
            for (var i = 0; i < 200; i++) log.WriteLine($"pipeliner: note {i}");
            await copy;
        }

        var texts = (await File.ReadAllLinesAsync(path)).Select(l => l[(JobLogWriter.TimestampLength + 1)..]).ToList();
        Assert.Equal(2200, texts.Count);
        Assert.Equal(2000, texts.Count(t => t.StartsWith("output line ", StringComparison.Ordinal) && t.EndsWith(new string('o', 100), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task WriteLine_KeepsItsOwnLine_WhenOutputStoppedInTheMiddleOfALine()
    {
        var path = _directory.Combine("5.log");
        var output = new ChunkStream();
        await using (var log = new JobLogWriter(path, SecretMasker.None, TimeProvider.System))
        {
            var copy = log.CopyFromAsync(output, CancellationToken.None);
            await output.SendAsync("downloading... ");

            log.WriteLine("pipeliner: job timed out");
            await output.SendAsync("done\n");
            output.End();
            await copy;
        }

        var texts = (await File.ReadAllLinesAsync(path)).Select(l => l[(JobLogWriter.TimestampLength + 1)..]);
        Assert.Equal(["pipeliner: job timed out", "downloading... done"], texts);
    }

    [Fact]
    public async Task Constructor_AppendsToExistingLog_WhenTheFileIsThere()
    {
        var path = _directory.Combine("4.log");
        await using (var first = new JobLogWriter(path, SecretMasker.None, TimeProvider.System)) first.WriteLine("one");
        await using (var second = new JobLogWriter(path, SecretMasker.None, TimeProvider.System)) second.WriteLine("two");

        Assert.Equal(2, (await File.ReadAllLinesAsync(path)).Length);
    }

    /// <summary>A clock that moves one millisecond each time it is read.</summary>
    private sealed class SteppingTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow()
        {
            var now = _now;
            _now = _now.AddMilliseconds(1);
            return now;
        }
    }

    /// <summary>Output sent chunk by chunk; sending returns once the reader has taken the chunk and asks for more.</summary>
    private sealed class ChunkStream : Stream
    {
        private readonly System.Threading.Channels.Channel<byte[]> _chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        private TaskCompletionSource _askedForMore = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public async Task SendAsync(string text)
        {
            var asked = _askedForMore = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await _chunks.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));
            await asked.Task;
        }

        public void End() => _chunks.Writer.Complete();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _askedForMore.TrySetResult();
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken)) return 0;
            var chunk = await _chunks.Reader.ReadAsync(cancellationToken);
            chunk.CopyTo(buffer);
            return chunk.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush() => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Hands out its bytes a few at a time, yielding between reads.</summary>
    private sealed class SlowStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Thread.Yield();
            return base.Read(buffer, offset, Math.Min(chunk, count));
        }
    }
}
