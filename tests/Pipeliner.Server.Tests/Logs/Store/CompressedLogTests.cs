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

    [Fact]
    public async Task WriteAsync_WritesTheSameFile_WhenItsCompressorWasUsedBefore()
    {
        using var compressors = new ZstdCompressors();
        var random = new Random(7);
        var logs = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 3000 + 5000 * i)
            .SelectMany(n => System.Text.Encoding.UTF8.GetBytes($"line {n} {random.Next(1000)} {(n % 7 == 0 ? "warning" : "ok")}\n")).ToArray()).ToList();

        foreach (var (log, i) in logs.Select((log, i) => (log, i)))
        {
            var fresh = Path.Combine(_dir, $"fresh-{i}.zst");
            var reused = Path.Combine(_dir, $"reused-{i}.zst");
            await CompressedLog.WriteAsync(new MemoryStream(log), fresh, CancellationToken.None);
            using (var lease = compressors.Rent()) await CompressedLog.WriteAsync(new MemoryStream(log), reused, lease.Compressor, CancellationToken.None);

            // Byte for byte what a new compressor writes, for the first log and for the ones after it (the same compressor again).
            Assert.Equal(await File.ReadAllBytesAsync(fresh), await File.ReadAllBytesAsync(reused));
            await using var read = CompressedLog.OpenRead(new FileStream(reused, FileMode.Open, FileAccess.Read));
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(log, copy.ToArray());
        }
    }
}
