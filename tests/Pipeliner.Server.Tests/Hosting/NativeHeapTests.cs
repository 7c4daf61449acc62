using Pipeliner.Server.Hosting;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>The C heap's arenas are limited on Linux (glibc: the test machines' Debian), unless MALLOC_ARENA_MAX says otherwise.</summary>
public class NativeHeapTests
{
    [Fact]
    public void LimitArenas_SetsTheLimit_OnLinuxWithoutMallocArenaMax()
    {
        var expected = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null;

        Assert.Equal(expected, NativeHeap.LimitArenas());
    }
}
