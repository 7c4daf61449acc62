using Pipeliner.Server.Logs.Store;

namespace Pipeliner.Server.Tests.Logs.Store;

/// <summary>Logs smaller than a block are compressed in one block of their own size and read back byte for byte.</summary>
public sealed class CompressedLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pipeliner-compressed-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200)]
    [InlineData(70_000)]
    [InlineData(CompressedLog.BlockBytes + 3)]
    public async Task WriteAsync_ReadsBackEveryByte_WhateverTheLogsSize(int size)
    {
        var plain = new byte[size];
        for (var i = 0; i < size; i++) plain[i] = (byte)(i % 61 == 60 ? '\n' : 'a' + i % 23);
        var path = Path.Combine(_dir, $"{size}.zst");

        await CompressedLog.WriteAsync(new MemoryStream(plain), path, CancellationToken.None);

        await using var read = CompressedLog.OpenRead(new FileStream(path, FileMode.Open, FileAccess.Read));
        Assert.Equal(size, read.Length);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(plain, copy.ToArray());
        if (size > 10)
        {
            read.Seek(size - 5, SeekOrigin.Begin);
            var tail = new byte[10];
            Assert.Equal(5, read.ReadAtLeast(tail, 10, throwOnEndOfStream: false));
            Assert.Equal(plain[^5..], tail[..5]);
        }
    }
}
