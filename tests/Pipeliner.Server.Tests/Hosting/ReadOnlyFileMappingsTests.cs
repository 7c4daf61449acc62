using System.Runtime.InteropServices;
using System.Text;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// Reading <c>/proc/self/maps</c> without a string per line: lines as the kernel writes them (paths with spaces, deleted
/// files, memfds, anonymous memory), this process's own maps read in chunks that split lines, and which mappings were
/// already there at the previous reading.
/// </summary>
public sealed class ReadOnlyFileMappingsTests : IDisposable
{
    private readonly TempDirectory _directory = new("pipeliner-maps-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void TryParse_ReadsAFileMapping_WhenItsPathHoldsSpacesOrWasDeleted()
    {
        // Lines as Linux 6.x writes them: the path padded to a column, an anonymous line ending with a space after its inode.
        const string maps = """
            5581c2a00000-5581c2a01000 r--p 00000000 fd:01 1835099                    /usr/share/dotnet/dotnet
            7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 
            7f3a20e00000-7f3a20e9c000 r--p 00000000 fd:01 2228331                    /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30
            7f3a21000000-7f3a21200000 r-xs 00000000 00:01 3072                       /memfd:doublemapper (deleted)
            7f3a21a00000-7f3a21b60000 r--s 00000000 103:02 40763462                  /work/my builds/Pipeliner.Server.dll
            7f3a21c00000-7f3a21c10000 r--p 00010000 fd:01 2228340                    /tmp/pipeliner old/Plugin.dll (deleted)
            7f3a21d00000-7f3a21d01000 rw-s 00000000 00:05 1030                       /dev/zero (deleted)
            7f3a21e00000-7f3a21e01000 r--s 00000000 00:19 88                         /dev/shm/something
            7ffd6b3f1000-7ffd6b412000 rw-p 00000000 00:00 0                          [stack]
            7ffd6b5b0000-7ffd6b5b4000 r--p 00000000 00:00 0                          [vvar]
            ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
            """;

        var found = FilePageOut.ReadOnlyFileMappings(Encoding.UTF8.GetBytes(maps));

        Assert.Equal(
        [
            (0x5581c2a00000UL, 0x5581c2a01000UL, 0UL, 0xfdUL << 32 | 1, 1835099UL),
            (0x7f3a20e00000UL, 0x7f3a20e9c000UL, 0UL, 0xfdUL << 32 | 1, 2228331UL),
            (0x7f3a21a00000UL, 0x7f3a21b60000UL, 0UL, 0x103UL << 32 | 2, 40763462UL),
            (0x7f3a21c00000UL, 0x7f3a21c10000UL, 0x10000UL, 0xfdUL << 32 | 1, 2228340UL),
        ], found.Select(m => (m.Start, m.End, m.Offset, m.Device, m.Inode)).ToArray());
    }

    [Fact]
    public void TryParse_RefusesALine_WhenItIsCutShortOrNotHex()
    {
        Assert.False(ReadOnlyFileMapping.TryParse("7f3a21a00000-7f3a21b60000 r--s 00000000 103:02"u8, out _));
        Assert.False(ReadOnlyFileMapping.TryParse("7f3a21a0000g-7f3a21b60000 r--s 00000000 103:02 4 /a.dll"u8, out _));
        Assert.False(ReadOnlyFileMapping.TryParse("7f3a21b60000-7f3a21a00000 r--s 00000000 103:02 4 /a.dll"u8, out _));
        Assert.True(ReadOnlyFileMapping.TryParse("7f3a21a00000-7f3a21b60000 r--s 00000000 103:02 4 /a.dll"u8, out _));
    }

    [Fact]
    public async Task Read_FindsAMappedFile_WhenItsPathHoldsSpacesAndItIsDeletedWhileMapped()
    {
        var path = _directory.Combine("a directory with spaces", "mapped file.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, new byte[64 * 1024]);
        using var mapping = PrivateMapping.Of(path, 64 * 1024, writable: false);
        var mappings = new ReadOnlyFileMappings();

        var found = Single(mappings.Read(), mapping.Address);
        Assert.Equal(64UL * 1024, found.End - found.Start);
        File.Delete(path); // the maps line now ends with " (deleted)": the same file, the same mapping
        var again = Single(mappings.Read(), mapping.Address);

        Assert.True(again.SameAs(found));
        Assert.True(mappings.WasThereBefore(again));
    }

    [Fact]
    public void Read_FindsWhatTheWholeTextHolds_WhenChunksSplitTheLines()
    {
        // This process's own maps (hundreds of lines) read a little more than its longest line at a time, against the same
        // text parsed at once.
        var text = File.ReadAllBytes("/proc/self/maps");
        var whole = new ReadOnlyFileMappings().Parse(text).ToArray();
        var longest = Encoding.UTF8.GetString(text).Split('\n').Max(line => line.Length);

        var chunked = new ReadOnlyFileMappings(chunkBytes: longest + 7).Read().ToArray();

        Assert.True(whole.Length > 50, $"{whole.Length} read-only file mappings in this process");
        var kept = chunked.Where(m => whole.Any(w => w.SameAs(m))).Count();
        Assert.True(kept >= whole.Length - 2, $"{kept} of {whole.Length} found again by the chunked reading ({chunked.Length} in all)");
    }

    [Fact]
    public void WasThereBefore_TakesOnlyUnchangedMappings_WhenOneWasSplitAndOneIsNew()
    {
        var mappings = new ReadOnlyFileMappings();
        mappings.Parse("""
            7f0000000000-7f0000010000 r--p 00000000 fd:01 12 /a.dll
            7f0000010000-7f0000030000 r-xp 00010000 fd:01 13 /b.so
            7f0000040000-7f0000050000 r--p 00000000 fd:01 14 /c.so
            """u8);

        var current = mappings.Parse("""
            7f0000000000-7f0000010000 r--p 00000000 fd:01 12 /a.dll
            7f0000010000-7f0000020000 r-xp 00010000 fd:01 13 /b.so
            7f0000020000-7f0000030000 r--p 00020000 fd:01 13 /b.so
            7f0000038000-7f0000039000 r--p 00000000 fd:01 15 /new.so
            7f0000040000-7f0000050000 r--p 00000000 fd:01 14 /c.so
            """u8).ToArray();

        Assert.Equal([true, false, false, false, true], current.Select(m => mappings.WasThereBefore(m)).ToArray());
    }

    private static ReadOnlyFileMapping Single(ReadOnlySpan<ReadOnlyFileMapping> mappings, nint address)
    {
        foreach (var mapping in mappings)
            if (mapping.Start == (ulong)address) return mapping;
        throw new Xunit.Sdk.XunitException($"no read-only file mapping at {address:x}");
    }
}
