using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Agents;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Settings;
using Pipeliner.Server.Tests.Support;

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
    public void WorkedSinceTrim_SaysSo_WhenAWindowWasBusy()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);
        Assert.False(gauge.WorkedSinceTrim);
        Assert.False(gauge.Observe(TimeSpan.FromSeconds(9), 400 * MiB));
        Assert.True(gauge.Observe(TimeSpan.FromSeconds(9.05), 401 * MiB));
        Assert.True(gauge.WorkedSinceTrim);

        gauge.Trimmed(401 * MiB);

        // An idle server trims again after 8 MiB more, but it has not worked: its files' pages are left in place.
        Assert.True(gauge.Observe(TimeSpan.FromSeconds(9.1), 410 * MiB));
        Assert.False(gauge.WorkedSinceTrim);
    }

    [Fact]
    public void LastWindowQuiet_SaysSo_WhenTheWindowUsedLittleCpuWithoutAllocating()
    {
        var gauge = new IdleTrimGauge(Window, TimeSpan.FromSeconds(5), 100 * MiB);

        // Nothing to collect (1 MiB allocated), but quiet: the files' pages may still be given back.
        Assert.False(gauge.Observe(TimeSpan.FromSeconds(5.05), 101 * MiB));
        Assert.True(gauge.LastWindowQuiet);
        Assert.False(gauge.Observe(TimeSpan.FromSeconds(6), 102 * MiB));
        Assert.False(gauge.LastWindowQuiet);
    }

    [Fact]
    public void Done_Changes_WhenAnAttemptIsClaimedOrEnds()
    {
        var work = new ServerWork();
        var attempts = new ActiveAttempts(work);
        var key = new AttemptKey(1, "build", 1);

        attempts.Add(key);
        var claimed = work.Done;
        Assert.True(attempts.Any);
        attempts.Remove(key);

        Assert.True(claimed > 0);
        Assert.True(work.Done > claimed);
        Assert.False(attempts.Any);
    }

    [Fact]
    public async Task ExecuteAsync_DoesNothing_WhenTurnedOff()
    {
        var trim = new IdleMemoryTrim(Options.Create(new PipelinerOptions { IdleMemoryTrim = TimeSpan.Zero }), new StartedLifetime(),
            TimeProvider.System, new FilePageOut(), new ServerWork(), new ActiveAttempts(new ServerWork()), NullLogger<IdleMemoryTrim>.Instance);

        await trim.StartAsync(CancellationToken.None);

        // It returns at once instead of waking every window; a running loop would time out here.
        await trim.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(trim.ExecuteTask.IsCompletedSuccessfully);
        await trim.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ExecuteAsync_TrimsOnce_WhenTheServerHasStarted()
    {
        var lifetime = new StartedLifetime();
        var log = new TrimLog();
        // A window far longer than the test: only the trim at start can happen.
        var trim = new IdleMemoryTrim(Options.Create(new PipelinerOptions { IdleMemoryTrim = TimeSpan.FromHours(1) }), lifetime,
            TimeProvider.System, new FilePageOut(), new ServerWork(), new ActiveAttempts(new ServerWork()), log);
        await trim.StartAsync(CancellationToken.None);
        await Task.Delay(200);
        // Before the start only the files' pages are given back (the first time, only the mappings noted).
        Assert.All(log.Messages, message => Assert.StartsWith("Gave back the pages of ", message, StringComparison.Ordinal));

        lifetime.Start();

        var messages = await Poll.UntilAsync(() => Task.FromResult(log.Messages.ToList()),
            m => m.Any(message => message.StartsWith("The server has started", StringComparison.Ordinal)), "the trim at start", TimeSpan.FromSeconds(30));
        Assert.Single(messages, message => message.StartsWith("The server has started: the garbage collector's committed memory went from", StringComparison.Ordinal));
        await trim.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Validate_NamesTheSetting_WhenTheFilesGrowthIsNegative()
    {
        var result = new PipelinerOptionsValidator().Validate(null, new PipelinerOptions { FilePageOutGrowthMiB = -1 });

        Assert.Contains(result.Failures ?? [], failure => failure.StartsWith("Pipeliner:FilePageOutGrowthMiB", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NamesTheSetting_WhenTheWindowIsNegative()
    {
        var result = new PipelinerOptionsValidator().Validate(null, new PipelinerOptions { IdleMemoryTrim = TimeSpan.FromSeconds(-1) });

        Assert.Contains(result.Failures ?? [], failure => failure.StartsWith("Pipeliner:IdleMemoryTrim", StringComparison.Ordinal));
    }
}

file sealed class StartedLifetime : IHostApplicationLifetime
{
    private readonly CancellationTokenSource _started = new();

    public CancellationToken ApplicationStarted => _started.Token;

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void Start() => _started.Cancel();

    public void StopApplication()
    {
    }
}

file sealed class TrimLog : ILogger<IdleMemoryTrim>
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Queue { get; } = new();

    public IReadOnlyCollection<string> Messages => Queue;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Queue.Enqueue(formatter(state, exception));
}
