using System.Runtime.InteropServices;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>The kernel's <c>PAGEMAP_SCAN</c> on a real private file mapping: the file's pages zapped, a copy kept and counted.</summary>
public sealed class PageRegionScanTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-region-scan-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ZapFilePages_KeepsTheOneCopiedPage_WhenAPrivateMappingWasWrittenOnce()
    {
        if (!OperatingSystem.IsLinux() || Environment.OSVersion.Version < new Version(6, 7)) return; // no PAGEMAP_SCAN there
        var path = _directory.Combine("mapped.bin");
        var content = new byte[4 << 20];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        using var mapping = PrivateMapping.Of(path, content.Length, writable: true);
        var page = Environment.SystemPageSize;
        for (var offset = 0; offset < content.Length; offset += page) Assert.Equal(content[offset], Marshal.ReadByte(mapping.Address, offset));
        var written = 5 * page + 9;
        var value = (byte)(content[written] ^ 0x5A);
        Marshal.WriteByte(mapping.Address, written, value);
        mapping.MakeReadOnly();

        long copied;
        using (var pagemap = File.OpenHandle("/proc/self/pagemap"))
            copied = PageRegionScan.ZapFilePages(pagemap, (ulong)mapping.Address, (ulong)mapping.Address + (ulong)mapping.Length);

        Assert.Equal(1, copied);
        Assert.Equal(1, ResidentPages(mapping)); // the copy; the file's own 1,023 pages went
        Assert.Equal(value, Marshal.ReadByte(mapping.Address, written));
    }

    /// <summary>The mapping's resident pages (<c>mincore</c> answers for the page cache; pagemap's bit 63 for this process).</summary>
    private static int ResidentPages(PrivateMapping mapping)
    {
        var pages = (int)((long)mapping.Length / Environment.SystemPageSize);
        var entries = new ulong[pages];
        using var pagemap = File.OpenHandle("/proc/self/pagemap");
        RandomAccess.Read(pagemap, MemoryMarshal.AsBytes(entries.AsSpan()), (long)((ulong)mapping.Address / (ulong)Environment.SystemPageSize * 8));
        return entries.Count(entry => (entry & (1UL << 63)) != 0);
    }
}
