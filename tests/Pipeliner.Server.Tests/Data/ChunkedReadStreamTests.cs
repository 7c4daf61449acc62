using Pipeliner.Server.Data;

namespace Pipeliner.Server.Tests.Data;

/// <summary>
/// The seek and copy logic the database archive and log streams and the compressed log share, over chunks of uneven
/// sizes held in memory: every byte read back in order from any position, sync and async, one load per chunk reached.
/// </summary>
public sealed class ChunkedReadStreamTests
{
    private static readonly int[] Sizes = [5, 1, 17, 3, 40];

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(100)]
    public async Task ReadAsync_ReturnsEveryByteInOrder_WhateverTheBufferSize(int bufferSize)
    {
        using var stream = new MemoryChunks(Sizes);
        var read = new List<byte>();
        var buffer = new byte[bufferSize];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0) read.AddRange(buffer.AsSpan(0, n).ToArray());

        Assert.Equal(stream.Content, read);
        Assert.Equal(Sizes.Length, stream.Loads.Count);
    }

    [Fact]
    public void Read_StartsAtTheSoughtByte_WhenSoughtIntoAnyChunk()
    {
        using var stream = new MemoryChunks(Sizes);
        for (var position = 0; position < stream.Content.Length; position += 3)
        {
            stream.Seek(position, SeekOrigin.Begin);
            var buffer = new byte[9];
            var n = stream.Read(buffer);
            Assert.True(n > 0);
            Assert.Equal(stream.Content.AsSpan(position, n).ToArray(), buffer.AsSpan(0, n).ToArray());
            Assert.Equal(position + n, stream.Position);
        }
    }

    [Fact]
    public void Read_KeepsTheLoadedChunk_WhenTheNextReadIsInTheSameChunk()
    {
        using var stream = new MemoryChunks(Sizes);
        stream.Seek(Sizes[0] + Sizes[1] + 2, SeekOrigin.Begin);
        stream.ReadExactly(new byte[4]);
        stream.Seek(-3, SeekOrigin.Current);
        stream.ReadExactly(new byte[5]);

        Assert.Equal([2], stream.Loads);
    }

    [Fact]
    public void Seek_ClampsToTheContent_WhenPastEitherEnd()
    {
        using var stream = new MemoryChunks(Sizes);

        Assert.Equal(0, stream.Seek(-10, SeekOrigin.Begin));
        Assert.Equal(stream.Length, stream.Seek(5, SeekOrigin.End));
        Assert.Equal(0, stream.Read(new byte[4]));
        Assert.Equal(stream.Length - 1, stream.Seek(-1, SeekOrigin.End));
        Assert.Equal(1, stream.Read(new byte[4]));
    }

    [Fact]
    public async Task ReadAsync_LoadsTheChunkAgain_WhenItsLoadFailedBefore()
    {
        using var stream = new MemoryChunks(Sizes) { FailNext = true };

        await Assert.ThrowsAsync<IOException>(async () => await stream.ReadExactlyAsync(new byte[3]));
        var buffer = new byte[3];
        Assert.Equal(3, await stream.ReadAsync(buffer));
        Assert.Equal(stream.Content[..3], buffer);
    }

    /// <summary>Chunks of the given sizes whose bytes count up; a load completes asynchronously, as a database read does.</summary>
    private sealed class MemoryChunks(int[] sizes) : ChunkedReadStream(sizes.Sum())
    {
        public byte[] Content { get; } = Enumerable.Range(0, sizes.Sum()).Select(i => (byte)i).ToArray();

        public List<int> Loads { get; } = [];

        public bool FailNext { get; set; }

        protected override (int Index, long Offset) ChunkAt(long position)
        {
            long offset = 0;
            for (var i = 0; i < sizes.Length; i++)
            {
                if (position < offset + sizes[i]) return (i, offset);
                offset += sizes[i];
            }

            return (-1, 0);
        }

        protected override async ValueTask<ReadOnlyMemory<byte>> LoadChunkAsync(int index, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (FailNext)
            {
                FailNext = false;
                throw new IOException("the chunk went away");
            }

            Loads.Add(index);
            var offset = sizes.Take(index).Sum();
            return Content.AsMemory(offset, sizes[index]);
        }
    }
}
