using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Tests.Data;

/// <summary>The intake journal's one writer thread: appends before removals, one write at a time, on its own thread.</summary>
public sealed class JournalWriterTests
{
    private const string Name = "Journal writer under test";

    [Fact]
    public async Task AppendAsync_RunsBeforeTheRemovalsWaiting_WhenBothWaitForTheWriteInProgress()
    {
        using var writer = new JournalWriter(Name);
        using var inProgress = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var order = new List<string>();
        var first = writer.RemoveAsync(() =>
        {
            inProgress.Set();
            release.Wait();
            order.Add("first removal");
        });
        inProgress.Wait(TimeSpan.FromSeconds(30));

        var removal = writer.RemoveAsync(() => order.Add("second removal"));
        var append = writer.AppendAsync(() =>
        {
            order.Add("append");
            return 1;
        });
        release.Set();
        await Task.WhenAll(first, removal, append);

        Assert.Equal(["first removal", "append", "second removal"], order);
    }

    [Fact]
    public async Task AppendAsync_ContinuesOnTheWritersThread_AndRemoveAsyncElsewhere()
    {
        using var writer = new JournalWriter(Name);

        // On the pool, as a request is: no synchronization context to post the continuations to.
        var (ranOn, appendContinuedOn, removalContinuedOn) = await Task.Run(async () =>
        {
            var ran = await writer.AppendAsync(() =>
            {
                // Longer than the caller needs to start waiting: a write done before that continues on the caller's thread.
                Thread.Sleep(200);
                return Thread.CurrentThread.Name;
            });
            var afterAppend = Thread.CurrentThread.Name;
            await writer.RemoveAsync(() => { });
            return (ran, afterAppend, Thread.CurrentThread.Name);
        });

        Assert.Equal((Name, Name), (ranOn, appendContinuedOn));
        Assert.NotEqual(Name, removalContinuedOn);
    }

    [Fact]
    public async Task AppendAsync_RunsOnTheCallersThread_WhenNoWriteIsInProgressAndAppendsMayRunThere()
    {
        using var writer = new JournalWriter(Name, appendsOnCallersThread: true);

        var (caller, ranOn, wait) = await Task.Run(async () =>
        {
            var id = Environment.CurrentManagedThreadId;
            var ran = await writer.AppendAsync(() => Environment.CurrentManagedThreadId);
            return (id, ran, JournalAppendWait.Last);
        });

        Assert.Equal(caller, ranOn);
        Assert.True(wait?.OnCallersThread, $"the append's wait: {wait}");
    }

    [Fact]
    public async Task AppendAsync_WaitsOnTheCallersThreadForTheRemovalInProgress_AndGoesBeforeTheRemovalsQueued_WhenAppendsMayRunThere()
    {
        using var writer = new JournalWriter(Name, appendsOnCallersThread: true);
        using var inProgress = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var order = new List<string>();
        var first = writer.RemoveAsync(() =>
        {
            inProgress.Set();
            release.Wait();
            lock (order) order.Add("first removal");
        });
        inProgress.Wait(TimeSpan.FromSeconds(30));

        var append = Task.Run(async () =>
        {
            var ranOn = await writer.AppendAsync(() =>
            {
                lock (order) order.Add("append");
                return Environment.CurrentManagedThreadId;
            });
            return (Environment.CurrentManagedThreadId, ranOn, JournalAppendWait.Last);
        });
        await Task.Delay(100);
        var removal = writer.RemoveAsync(() =>
        {
            lock (order) order.Add("second removal");
        });
        await Task.Delay(100);
        Assert.False(append.IsCompleted);
        release.Set();
        var (caller, ranOn, wait) = await append;
        await Task.WhenAll(first, removal);

        Assert.Equal(["first removal", "append", "second removal"], order);
        Assert.Equal(caller, ranOn);
        Assert.Equal(JournalWriterWork.Removal, wait?.Found);
        Assert.True(wait?.WaitedMs >= 150, $"waited {wait?.WaitedMs} ms");
    }

    [Fact]
    public async Task RemoveAsync_WaitsForTheAppendOnTheCallersThread_WhenOneIsInProgress()
    {
        using var writer = new JournalWriter(Name, appendsOnCallersThread: true);
        using var inProgress = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var order = new List<string>();
        var append = Task.Run(() => writer.AppendAsync(() =>
        {
            inProgress.Set();
            release.Wait();
            lock (order) order.Add("append");
            return 1;
        }));
        inProgress.Wait(TimeSpan.FromSeconds(30));

        var removal = writer.RemoveAsync(() =>
        {
            lock (order) order.Add("removal");
        });
        await Task.Delay(100);
        release.Set();
        await Task.WhenAll(append, removal);

        Assert.Equal(["append", "removal"], order);
    }

    [Fact]
    public async Task AppendAsync_ThrowsTheWritesException_AndTheWriterGoesOn()
    {
        using var writer = new JournalWriter(Name);

        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.AppendAsync<int>(() => throw new InvalidOperationException("disk full")));

        Assert.Equal(2, await writer.AppendAsync(() => 2));
    }

    [Fact]
    public async Task Dispose_FinishesTheWritesQueued_ThenRefusesNewOnes()
    {
        var writer = new JournalWriter(Name);
        using var release = new ManualResetEventSlim();
        var done = 0;
        var blocked = writer.RemoveAsync(() => release.Wait());
        var queued = writer.RemoveAsync(() => Interlocked.Increment(ref done));

        var disposing = Task.Run(writer.Dispose);
        release.Set();
        await disposing;
        await Task.WhenAll(blocked, queued);

        Assert.Equal(1, done);
        Assert.Throws<ObjectDisposedException>(() => { _ = writer.RemoveAsync(() => { }); });
    }
}
