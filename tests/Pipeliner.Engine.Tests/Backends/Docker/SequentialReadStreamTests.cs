using Pipeliner.Engine.Backends.Docker;

namespace Pipeliner.Engine.Tests.Backends.Docker;

public sealed class SequentialReadStreamTests
{
    [Fact]
    public void Read_ReadsTheFirstStreamToItsEndThenTheSecond_WhenReadIntoAnArray()
    {
        using var stream = new SequentialReadStream(new ArrayOnlyStream("pipe\n"u8.ToArray()), new ArrayOnlyStream("attach\n"u8.ToArray()));
        var buffer = new byte[64];
        var read = new List<byte>();

        for (int n; (n = stream.Read(buffer, 0, 3)) > 0;) read.AddRange(buffer.AsSpan(0, n));

        Assert.Equal("pipe\nattach\n"u8.ToArray(), read.ToArray());
    }

    [Fact]
    public void Read_HandsTheCallersArrayOn_WhenTheStreamsReadArraysAlone()
    {
        // Stream's span overload would rent an array from the shared pool for every read of a stream like DockerLogStream.
        var second = new ArrayOnlyStream("x\n"u8.ToArray());
        using var stream = new SequentialReadStream(new ArrayOnlyStream([]), second);
        var buffer = new byte[16];

        Assert.Equal(2, stream.Read(buffer, 4, 8));

        Assert.Same(buffer, second.LastArray);
        Assert.Equal("x\n"u8.ToArray(), buffer[4..6]);
    }

    /// <summary>A stream read through arrays only, as DockerLogStream is: its span overload fails the test.</summary>
    private sealed class ArrayOnlyStream(byte[] content) : Stream
    {
        private readonly MemoryStream _content = new(content);

        public byte[]? LastArray { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            LastArray = buffer;
            return _content.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer) => throw new InvalidOperationException("read through a span");
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
