using Pipeliner.Server.Data.Providers;

namespace Pipeliner.Server.Tests.Data;

/// <summary><see cref="WriteTurns"/>: one writer at a time, urgent waiters first, a background one not held back for ever.</summary>
public sealed class WriteTurnsTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Leave_GivesTheTurnToAnUrgentWaiterFirst_WhenABackgroundOneWaitedLonger()
    {
        var turns = new WriteTurns();
        Assert.True(await turns.EnterAsync(urgent: false, Long, CancellationToken.None));
        var background = turns.EnterAsync(urgent: false, Long, CancellationToken.None).AsTask();
        var urgent = turns.EnterAsync(urgent: true, Long, CancellationToken.None).AsTask();
        Assert.Equal((1, 1), turns.Waiting);

        turns.Leave();

        Assert.True(await urgent.WaitAsync(Long));
        Assert.False(background.IsCompleted);
        turns.Leave();
        Assert.True(await background.WaitAsync(Long));
        turns.Leave();
        Assert.False(turns.IsTaken);
    }

    [Fact]
    public async Task Leave_GivesAWaitingBackgroundWriterItsTurn_AfterUrgentInARowUrgentTurns()
    {
        var turns = new WriteTurns();
        Assert.True(await turns.EnterAsync(urgent: true, Long, CancellationToken.None));
        var background = turns.EnterAsync(urgent: false, Long, CancellationToken.None).AsTask();
        var urgent = Enumerable.Range(0, WriteTurns.UrgentInARow + 2).Select(_ => turns.EnterAsync(urgent: true, Long, CancellationToken.None).AsTask()).ToList();

        for (var i = 0; i < WriteTurns.UrgentInARow; i++)
        {
            turns.Leave();
            Assert.True(await urgent[i].WaitAsync(Long));
            Assert.False(background.IsCompleted);
        }

        turns.Leave();
        Assert.True(await background.WaitAsync(Long));
        Assert.Equal((2, 0), turns.Waiting);
        turns.Leave();
        Assert.True(await urgent[WriteTurns.UrgentInARow].WaitAsync(Long));
    }

    [Fact]
    public async Task EnterAsync_AnswersFalseAndStopsWaiting_WhenItsPatienceRunsOut()
    {
        var turns = new WriteTurns();
        Assert.True(await turns.EnterAsync(urgent: false, Long, CancellationToken.None));

        Assert.False(await turns.EnterAsync(urgent: true, TimeSpan.FromMilliseconds(20), CancellationToken.None));

        Assert.Equal((0, 0), turns.Waiting);
        turns.Leave();
        Assert.False(turns.IsTaken);
    }

    [Fact]
    public async Task EnterAsync_StopsWaiting_WhenCanceled()
    {
        var turns = new WriteTurns();
        Assert.True(await turns.EnterAsync(urgent: false, Long, CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        var waiting = turns.EnterAsync(urgent: false, Long, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal((0, 0), turns.Waiting);
        turns.Leave();
        Assert.False(turns.IsTaken);
    }

    [Fact]
    public async Task Enter_BlocksTheThread_UntilTheWriterBeforeItLeaves()
    {
        var turns = new WriteTurns();
        Assert.True(turns.Enter(urgent: false, Long));
        var entered = Task.Factory.StartNew(() => turns.Enter(urgent: false, Long), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Until(() => turns.Waiting == (0, 1));
        Assert.False(entered.IsCompleted);

        turns.Leave();

        Assert.True(await entered.WaitAsync(Long));
        Assert.True(turns.IsTaken);
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(10);
        }
    }
}
