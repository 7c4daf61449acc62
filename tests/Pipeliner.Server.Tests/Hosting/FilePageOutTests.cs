using System.IO.MemoryMappedFiles;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// Giving back the clean pages of mapped files (<c>madvise(MADV_PAGEOUT)</c>): which mappings are asked, that a file's
/// pages really leave this process's RSS and read back unchanged, and the server's trims doing it (or not) in a real
/// server process.
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

        var found = FilePageOut.ReadOnlyFileMappings(maps);

        Assert.Equal(
            [(0x7f0000000000, 0x10000), (0x7f0000010000, 0x20000), (0x7f0000040000, 0x10000), (0x7f00000a0000, 0x10000)],
            found.Select(m => ((long)m.Start, (long)m.Length)).ToArray());
    }

    [Fact]
    public async Task PageOut_GivesBackAMappedFilesPages_WhenTheProcessReadThem()
    {
        var path = _directory.Combine("mapped.bin");
        var content = new byte[8 * MiB];
        new Random(15).NextBytes(content);
        await using (var file = new FileStream(path, FileMode.CreateNew))
        {
            await file.WriteAsync(content);
            file.Flush(flushToDisk: true); // clean pages: a dirty page is written back before it can be reclaimed
        }
        using var mapped = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = mapped.CreateViewAccessor(0, content.Length, MemoryMappedFileAccess.Read);
        for (var offset = 0; offset < content.Length; offset += 4096) Assert.Equal(content[offset], view.ReadByte(offset));
        Assert.True(ResidentBytes(path) >= 7 * MiB, $"{ResidentBytes(path)} bytes of the file resident after reading it");
        var pageOut = new FilePageOut();

        // A page still on another CPU's list of pages to add to the LRU is skipped by one call: asked again until given back.
        await Poll.UntilAsync(() =>
        {
            var outcome = pageOut.PageOut();
            return outcome.Mappings > 0 && ResidentBytes(path) < MiB;
        }, "the mapped file's pages given back", TimeSpan.FromSeconds(60));

        for (var offset = 0; offset < content.Length; offset += 4096) Assert.Equal(content[offset], view.ReadByte(offset));
        Assert.True(ResidentBytes(path) >= 7 * MiB, "read back from the file");
    }

    [Fact]
    public async Task Start_PagesOutTheFilesPages_WhenTheServerHasStarted()
    {
        await using var server = await ServerProcess.StartAsync(_directory.Combine("data"), agentCapacity: 0,
            settings: ["--Logging:LogLevel:Pipeliner.Server.Hosting.IdleMemoryTrim=Debug"]);

        await Poll.UntilAsync(() => server.Output.Contains("read-only file mappings: the resident file pages went from", StringComparison.Ordinal),
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
