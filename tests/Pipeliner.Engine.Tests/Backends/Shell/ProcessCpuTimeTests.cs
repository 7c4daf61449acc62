using System.Diagnostics;
using Pipeliner.Engine.Backends.Shell;

namespace Pipeliner.Engine.Tests.Backends.Shell;

/// <summary>CPU time of local processes from <c>/proc/{pid}/stat</c>.</summary>
public sealed class ProcessCpuTimeTests
{
    [Fact]
    public void Parse_SumsUserSystemAndWaitedForChildren_WhenTheCommandNameHoldsSpacesAndParentheses()
    {
        // Fields 14-17 (utime 150, stime 50, cutime 30, cstime 20 ticks) = 250 ticks = 2,500 ms.
        const string stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 30 20 20 0 1 0 100 1000 10 18446744073709551615";

        Assert.Equal(2_500, ProcessCpuTime.Parse(stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("no parenthesis at all")]
    [InlineData("1 (short) S 1 2 3")]
    [InlineData("1 (x) S 1 1 1 0 -1 0 0 0 0 0 notanumber 0 0 0 0")]
    public void Parse_ReturnsNull_WhenTheLineIsNotAStatLine(string stat)
    {
        Assert.Null(ProcessCpuTime.Parse(stat));
    }

    [Fact]
    public void Milliseconds_GrowsWithTheProcessesWork_AndIsNullOnceItIsGone()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done; sleep 5"]))!;
        try
        {
            Thread.Sleep(2_200);
            Assert.InRange(ProcessCpuTime.Milliseconds(process.Id) ?? -1, 50, 5_000);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        Assert.Null(ProcessCpuTime.Milliseconds(process.Id));
    }
}
