using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Tests.Hosting;

/// <summary>The idle trim: once the process is quiet after allocating, never while it works, not again for nothing.</summary>
public class IdleMemoryTrimTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private const long MiB = 1L << 20;

    [Fact]
    public void Observe_Trims_WhenTheWindowWasQuietAfterAllocating()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);

        Assert.True(gauge.Observe(TimeSpan.FromSeconds(5.1), 120 * MiB));
    }

    [Fact]
    public void Observe_DoesNotTrim_WhenTheProcessWorked()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);

        // 300 ms of CPU in a 10 s window is 3 % of a core: runs are executing.
        Assert.False(gauge.Observe(TimeSpan.FromSeconds(5.3), 200 * MiB));
    }

    [Fact]
    public void Observe_DoesNotTrimAgain_WhenLittleWasAllocatedSinceTheLastTrim()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);
        Assert.True(gauge.Observe(TimeSpan.FromSeconds(5.1), 120 * MiB));
        gauge.Trimmed(121 * MiB);

        Assert.False(gauge.Observe(TimeSpan.FromSeconds(5.15), 125 * MiB));
        Assert.True(gauge.Observe(TimeSpan.FromSeconds(5.2), 130 * MiB));
    }

    [Fact]
    public void Observe_Trims_WhenTheWorkEnded()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);
        Assert.False(gauge.Observe(TimeSpan.FromSeconds(9), 400 * MiB));

        Assert.True(gauge.Observe(TimeSpan.FromSeconds(9.05), 401 * MiB));
    }

    [Fact]
    public async Task ExecuteAsync_DoesNothing_WhenTurnedOff()
    {
        var trim = new IdleMemoryTrim(Options.Create(new PipelinerOptions { IdleMemoryTrim = TimeSpan.Zero }),
            TimeProvider.System, NullLogger<IdleMemoryTrim>.Instance);

        await trim.StartAsync(CancellationToken.None);

        // It returns at once instead of waking every window; a running loop would time out here.
        await trim.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(trim.ExecuteTask.IsCompletedSuccessfully);
        await trim.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Validate_NamesTheSetting_WhenTheWindowIsNegative()
    {
        var result = new PipelinerOptionsValidator().Validate(null, new PipelinerOptions { IdleMemoryTrim = TimeSpan.FromSeconds(-1) });

        Assert.Contains(result.Failures ?? [], failure => failure.StartsWith("Pipeliner:IdleMemoryTrim", StringComparison.Ordinal));
    }
}
