using Pipeliner.Server.Scheduling;

namespace Pipeliner.Server.Tests.Scheduling;

public sealed class DispatchSignalTests
{
    /// <summary>Set only in the flow of the wait under test: the exceptions other tests throw meanwhile are not counted.</summary>
    private static readonly AsyncLocal<bool> Watched = new();

    [Fact]
    public async Task WaitAsync_ReturnsWithoutAnException_WhenTheTimeoutPassesFirst()
    {
        var signal = new DispatchSignal();
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Watched.Value && e.Exception is TimeoutException) Interlocked.Increment(ref thrown);
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            Watched.Value = true;
            await DispatchSignal.WaitAsync(signal.Next, TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
        finally
        {
            Watched.Value = false;
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrown);
    }

    [Fact]
    public async Task WaitAsync_ReturnsAtTheNotification_WhenItComesBeforeTheTimeout()
    {
        var signal = new DispatchSignal();
        var next = signal.Next;
        var waiting = DispatchSignal.WaitAsync(next, TimeSpan.FromMinutes(5), CancellationToken.None);

        signal.Notify();

        await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(next.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitAsync_ThrowsOperationCanceled_WhenTheCallerCancels()
    {
        var signal = new DispatchSignal();
        using var cancellation = new CancellationTokenSource();
        var waiting = DispatchSignal.WaitAsync(signal.Next, TimeSpan.FromMinutes(5), cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
