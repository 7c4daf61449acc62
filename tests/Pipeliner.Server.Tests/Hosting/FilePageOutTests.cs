using System.Runtime.InteropServices;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// Giving back the pages of mapped files (<c>madvise(MADV_DONTNEED)</c>, <c>MADV_PAGEOUT</c>): which mappings are asked,
/// that a file's pages really leave this process's RSS and read back unchanged, that a copy-on-write page is never
/// discarded, and the server's trims doing it (or not) in a real server process.
/// </summary>
public sealed class FilePageOutTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly TempDirectory _directory = new("pipeliner-file-page-out-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void ReadOnlyFileMappings_TakesOnlyReadOnlyFiles_WhenGivenTheProcessMaps()
    {
        string[] maps =
        [
            "7f0000000000-7f0000010000 r--s 00000000 fd:00 12 /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Runtime.dll",
            "7f0000010000-7f0000030000 r-xp 00010000 fd:00 13 /app/Pipeliner.Server.dll",
            "7f0000030000-7f0000040000 rw-p 00030000 fd:00 13 /app/Pipeliner.Server.dll",
            "7f0000040000-7f0000050000 r--p 00000000 fd:00 14 /usr/lib/x86_64-linux-gnu/libc.so.6",
            "7f0000050000-7f0000060000 rw-s 00000000 00:01 15 /memfd:doublemapper (deleted)",
            "7f0000060000-7f0000070000 r-xs 00000000 00:01 15 /memfd:doublemapper (deleted)",
            "7f0000070000-7f0000080000 rw-p 00000000 00:00 0",
            "55d000000000-55d000021000 rw-p 00000000 00:00 0                          [heap]",
            "7f0000080000-7f0000090000 r--s 00000000 00:05 16 /dev/zero (deleted)",
            "7f00000a0000-7f00000b0000 r--p 00000000 fd:00 17 /data/logs/with spaces.bin",
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
        ];

        var found = FilePageOut.ReadOnlyFileMappings(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', maps)));

        Assert.Equal(
            [(0x7f0000000000, 0x10000), (0x7f0000010000, 0x20000), (0x7f0000040000, 0x10000), (0x7f00000a0000, 0x10000)],
            found.Select(m => ((long)m.Start, (long)m.Length)).ToArray());
        Assert.Equal((0xfdUL << 32, 12UL), (found[0].Device, found[0].Inode));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PageOut_GivesBackAPrivatelyMappedFilesPages_WhenTheProcessReadThem(bool regionScan)
    {
        var (path, content) = await WriteFileAsync();
        using var mapping = PrivateMapping.Of(path, content.Length, writable: false);
        AssertReads(mapping, content);
        Assert.True(ResidentBytes(path) >= 7 * MiB, $"{ResidentBytes(path)} bytes of the file resident after reading it");
        var pageOut = new FilePageOut(regionScan);

        // A mapping new since the last call is left (a loader may not have made its copies yet); the next call zaps it.
        Assert.True(pageOut.PageOut().Mappings > 0);
        Assert.True(ResidentBytes(path) >= 7 * MiB, "a mapping seen for the first time is left");
        pageOut.PageOut();
        Assert.True(ResidentBytes(path) < MiB, $"{ResidentBytes(path)} bytes of the file resident after the zap");

        AssertReads(mapping, content);
        Assert.True(ResidentBytes(path) >= 7 * MiB, "mapped again from the page cache");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PageOut_KeepsACopiedPage_WhenAPrivateMappingWasWrittenThenMadeReadOnly(bool regionScan)
    {
        var (path, content) = await WriteFileAsync();
        using var mapping = PrivateMapping.Of(path, content.Length, writable: true);
        AssertReads(mapping, content);
        var written = 3 * Environment.SystemPageSize + 5;
        var value = (byte)(content[written] ^ 0xFF);
        Marshal.WriteByte(mapping.Address, written, value);
        // What a loader does with relocations: written while writable, then read-only (r--p) with the copy in it.
        mapping.MakeReadOnly();
        var pageOut = new FilePageOut(regionScan);

        pageOut.PageOut();
        var outcome = pageOut.PageOut(reclaim: true);

        Assert.True(outcome.CopiedPagesKept >= 1, $"{outcome.CopiedPagesKept} copied pages kept");
        Assert.Equal(value, Marshal.ReadByte(mapping.Address, written));
        Assert.InRange(ResidentBytes(path), Environment.SystemPageSize, MiB - 1); // the file's own pages went, the copy stayed
        content[written] = value;
        AssertReads(mapping, content);
    }

    [Fact]
    public void FileRss_ReadsTheFilePages_WhenGivenAStatusText()
    {
        var status = "Name:\tdotnet\nVmRSS:\t  160000 kB\nRssAnon:\t   50000 kB\nRssFile:\t   81234 kB\nRssShmem:\t   30000 kB\n"u8;

        Assert.Equal(81234L * 1024, FilePageOut.FileRss(status));
        Assert.Equal(0, FilePageOut.FileRss("Name:\tdotnet\nVmRSS:\t  160000 kB\n"u8));
    }

    [Fact]
    public async Task Start_PagesOutTheFilesPages_WhenTheServerHasStarted()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: ["--Logging:LogLevel:Pipeliner.Server.Hosting.IdleMemoryTrim=Debug"]);

        await Poll.UntilAsync(() => server.Output.Contains("read-only file mappings (Reclaim", StringComparison.Ordinal),
            "the trim at start paging out the files' pages", TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task Start_KeepsTheFilesPages_WhenTurnedOff()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: ["--Logging:LogLevel:Pipeliner.Server.Hosting.IdleMemoryTrim=Debug", "--Pipeliner:IdleMemoryTrimFilePages=false"]);

        await Poll.UntilAsync(() => server.Output.Contains("The server has started: the garbage collector's committed memory went from", StringComparison.Ordinal),
            "the trim at start", TimeSpan.FromSeconds(120));
        Assert.DoesNotContain("read-only file mappings", server.Output, StringComparison.Ordinal);
    }

    private async Task<(string Path, byte[] Content)> WriteFileAsync()
    {
        var path = _directory.Combine("mapped.bin");
        var content = new byte[8 * MiB];
        new Random(15).NextBytes(content);
        await using var file = new FileStream(path, FileMode.CreateNew);
        await file.WriteAsync(content);
        file.Flush(flushToDisk: true);
        return (path, content);
    }

    private static void AssertReads(PrivateMapping mapping, byte[] content)
    {
        for (var offset = 0; offset < content.Length; offset += 4096)
            Assert.True(content[offset] == Marshal.ReadByte(mapping.Address, offset), $"the byte at {offset}");
        var page = 3 * Environment.SystemPageSize;
        for (var offset = page; offset < page + Environment.SystemPageSize; offset++)
            Assert.True(content[offset] == Marshal.ReadByte(mapping.Address, offset), $"the byte at {offset}");
    }

    /// <summary>The resident bytes of this process's mappings of <paramref name="path"/> (<c>/proc/self/smaps</c>).</summary>
    private static long ResidentBytes(string path)
    {
        long kib = 0;
        var inFile = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
                inFile = fields.Length == 6 && fields[5].Trim() == path;
            else if (inFile && fields.Length >= 2 && fields[0] == "Rss:")
                kib += long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return kib * 1024;
    }
}

/// <summary>A file mapped <c>MAP_PRIVATE</c> with <c>mmap</c> itself: .NET's memory-mapped files map read-only views shared.</summary>
internal sealed class PrivateMapping : IDisposable
{
    private const int ProtRead = 1, ProtWrite = 2, MapPrivate = 2;

    private PrivateMapping(nint address, nuint length) => (Address, Length) = (address, length);

    public nint Address { get; }

    public nuint Length { get; }

    public static PrivateMapping Of(string path, int length, bool writable)
    {
        using var file = File.OpenHandle(path);
        var address = Mmap(0, (nuint)length, writable ? ProtRead | ProtWrite : ProtRead, MapPrivate, (int)file.DangerousGetHandle(), 0);
        if (address == -1) throw new IOException($"mmap: errno {Marshal.GetLastPInvokeError()}");
        return new PrivateMapping(address, (nuint)length);
    }

    public void MakeReadOnly()
    {
        if (Mprotect(Address, Length, ProtRead) != 0) throw new IOException($"mprotect: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose() => Munmap(Address, Length);

    [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [DllImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static extern int Mprotect(nint address, nuint length, int protection);

    [DllImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static extern int Munmap(nint address, nuint length);
}
