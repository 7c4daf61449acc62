using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Tests.Runs;

public sealed class RunEventsTests
{
    [Fact]
    public void Subscribe_GivesTheNewestStatusOnlyInItsPlace_WhenManyStatusesAndLinesWerePublished()
    {
        var events = new RunEvents(TimeProvider.System);
        using (events.Subscribe(1, 0).Subscription)
        {
            events.Publish(1, "status", "s1");
            events.Publish(1, "log", "l1");
            events.Publish(1, "status", "s2");
            events.Publish(1, "log", "l2");
        }

        var (backlog, _, subscription) = events.Subscribe(1, 0);
        subscription.Dispose();

        Assert.Equal(["l1", "s2", "l2"], backlog.Select(e => e.Data));
        Assert.Equal([2L, 3L, 4L], backlog.Select(e => e.Sequence));
    }

    [Fact]
    public void Subscribe_LeavesOutTheStatus_WhenTheClientHasSeenIt()
    {
        var events = new RunEvents(TimeProvider.System);
        using (events.Subscribe(1, 0).Subscription)
        {
            events.Publish(1, "status", "s1");
            events.Publish(1, "log", "l1");
        }

        var (backlog, _, subscription) = events.Subscribe(1, lastSeen: 1);
        subscription.Dispose();

        Assert.Equal(["l1"], backlog.Select(e => e.Data));
    }
}
