using System.Diagnostics;
using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Hangfire.Storage.SQLite;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Tests.Support;

namespace Pipeliner.Server.Tests.Scheduling;

public sealed class DoorbellStorageTests : IDisposable
{
    // Far longer than anything a loaded machine adds: a fetch that returns well within it was woken by the bell.
    private static readonly TimeSpan LongPoll = TimeSpan.FromMinutes(5);
    private readonly TempDirectory _dir = new();
    private readonly QueueDoorbell _doorbell = new();
    private readonly SQLiteStorage _sqlite;
    private readonly DoorbellStorage _storage;

    public DoorbellStorageTests()
    {
        _sqlite = new SQLiteStorage(_dir.Combine("hangfire.db"), new SQLiteStorageOptions { QueuePollInterval = LongPoll });
        _storage = new DoorbellStorage(_sqlite, _doorbell);
    }

    [Fact]
    public async Task FetchNextJob_ReturnsAtOnce_WhenAJobIsEnqueuedHereWhileItWaits()
    {
        var client = new BackgroundJobClient(_storage, new BackgroundJobFactory(new DoorbellFilterProvider(_doorbell, new ServerWork())),
            new BackgroundJobStateChanger(new DoorbellFilterProvider(_doorbell, new ServerWork())));
        using var connection = _storage.GetConnection();
        var fetching = Task.Run(() => connection.FetchNextJob(["default"], CancellationToken.None));
        await Task.Delay(500);
        Assert.False(fetching.IsCompleted);

        var clock = Stopwatch.StartNew();
        var id = client.Create(Job.FromExpression(() => QueuedWork.Do(1)), new EnqueuedState());
        using var fetched = await fetching.WaitAsync(LongPoll / 2);

        Assert.Equal(id, fetched.JobId);
        Assert.True(clock.Elapsed < LongPoll / 2, $"fetched after {clock.Elapsed}, the poll interval is {LongPoll}");
    }

    [Fact]
    public async Task FetchNextJob_ReturnsAtOnce_WhenAJobComesDueHereWhileItWaits()
    {
        // No doorbell filter: a scheduled job (a retry after its backoff) is enqueued by a state change, not by a client's
        // create; the storage's transaction rings once it has committed the job to the queue.
        var client = new BackgroundJobClient(_storage, new BackgroundJobFactory(JobFilterProviders.Providers),
            new BackgroundJobStateChanger(JobFilterProviders.Providers));
        var id = client.Create(Job.FromExpression(() => QueuedWork.Do(2)), new ScheduledState(TimeSpan.FromDays(1)));
        using var connection = _storage.GetConnection();
        var fetching = Task.Run(() => connection.FetchNextJob(["default"], CancellationToken.None));
        await Task.Delay(500);
        Assert.False(fetching.IsCompleted);

        Assert.True(client.ChangeState(id, new EnqueuedState(), ScheduledState.StateName));
        using var fetched = await fetching.WaitAsync(LongPoll / 2);

        Assert.Equal(id, fetched.JobId);
    }

    [Fact]
    public void CreateWriteTransaction_RingsOnceTheConnectionsLocksAreReleased_WhenAJobComesDueUnderThem()
    {
        var client = new BackgroundJobClient(_storage, new BackgroundJobFactory(JobFilterProviders.Providers),
            new BackgroundJobStateChanger(JobFilterProviders.Providers));
        var id = client.Create(Job.FromExpression(() => QueuedWork.Do(3)), new ScheduledState(TimeSpan.FromDays(1)));
        var rung = _doorbell.Token;
        using var connection = _storage.GetConnection();

        // As Hangfire's scheduler moves a retry to its queue: under its own lock, the state changer under the job's.
        using (connection.AcquireDistributedLock("locks:schedulepoller", TimeSpan.FromSeconds(30)))
        {
            var changer = new BackgroundJobStateChanger(JobFilterProviders.Providers);
            Assert.NotNull(changer.ChangeState(new StateChangeContext(_storage, connection, id, new EnqueuedState(), ScheduledState.StateName)));
            // Woken now, a worker would take the job and wait for a lock the scheduler still holds.
            Assert.False(rung.IsCancellationRequested);
        }

        Assert.True(rung.IsCancellationRequested);
    }

    [Fact]
    public void CreateWriteTransaction_RingsAfterTheJobsLockIsReleased_WhenItQueuesTheJobUnderIt()
    {
        using var connection = _storage.GetConnection();
        var id = connection.CreateExpiredJob(Job.FromExpression(() => QueuedWork.Do(4)), new Dictionary<string, string>(), DateTime.UtcNow, TimeSpan.FromHours(1));
        var rung = _doorbell.Token;

        using (connection.AcquireDistributedJobLock(id, TimeSpan.FromSeconds(30)))
        {
            using var transaction = connection.CreateWriteTransaction();
            transaction.AddToQueue("default", id);
            transaction.Commit();
            Assert.False(rung.IsCancellationRequested);
        }

        Assert.True(rung.IsCancellationRequested);
    }

    [Fact]
    public void CreateWriteTransaction_RingsNot_WhenTheTransactionQueuesNothing()
    {
        var rung = _doorbell.Token;
        using var connection = _storage.GetConnection();
        using (var transaction = connection.CreateWriteTransaction())
        {
            transaction.IncrementCounter("stats:succeeded");
            transaction.Commit();
        }

        Assert.False(rung.IsCancellationRequested);
    }

    [Fact]
    public async Task FetchNextJob_KeepsWaiting_WhenTheBellRingsWithNothingQueued()
    {
        using var connection = _storage.GetConnection();
        using var stop = new CancellationTokenSource();
        var fetching = Task.Run(() => connection.FetchNextJob(["default"], stop.Token));
        await Task.Delay(300);
        _doorbell.Ring();
        await Task.Delay(500);
        Assert.False(fetching.IsCompleted);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetching.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        _sqlite.Dispose();
        _dir.Dispose();
    }
}

/// <summary>A job method for the queue; never run by these tests, only stored and fetched.</summary>
public static class QueuedWork
{
    public static void Do(int n) => _ = n;
}
