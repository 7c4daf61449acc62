using System.Runtime.InteropServices;
using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>
/// glibc's mmap threshold set to 64 KiB: a block of the JIT's slab size that the heap has no free room for is then put in
/// a mapping of its own, which leaves the process when it is freed, instead of growing the heap (tested in this process,
/// whose allocator it changes as it changes the server's; glibc on Linux, 64-bit).
/// </summary>
public sealed class LargeAllocationMappingsTests
{
    private const long IsMmapped = 0x2; // glibc's flag in a chunk's size field, the word before the block

    [Fact]
    public void Apply_PutsA64KiBBlockInAMappingOfItsOwn_WhenTheHeapHasNoRoomForIt()
    {
        Assert.True(new LargeAllocationMappings(_ => null).Apply());

        // Marshal.AllocHGlobal is malloc on Linux. The first blocks may still come from the heap's free room; 16 MiB of them
        // exhaust it, and from then on the default threshold (128 KiB and more) would grow the heap for each.
        var blocks = Enumerable.Range(0, 256).Select(_ => Marshal.AllocHGlobal(LargeAllocationMappings.Threshold)).ToArray();
        try
        {
            var mappedOfTheLast64 = blocks[^64..].Count(block => (Marshal.ReadInt64(block, -8) & IsMmapped) != 0);
            Assert.True(mappedOfTheLast64 >= 60, $"{mappedOfTheLast64} of the last 64 blocks in mappings of their own");
        }
        finally
        {
            foreach (var block in blocks) Marshal.FreeHGlobal(block);
        }
    }

    [Fact]
    public void Apply_LeavesTheThresholdAlone_WhenGlibcTunablesNameIt()
    {
        var applied = new LargeAllocationMappings(name => name == "GLIBC_TUNABLES" ? "glibc.malloc.mmap_threshold=131072" : null).Apply();

        Assert.False(applied);
    }
}
