using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Tests.Runs;

public sealed class InMemoryRunEventsTests
{
    [Fact]
    public async Task SubscribeAsync_GivesTheNewestStatusOnlyInItsPlace_WhenManyStatusesAndLinesWerePublished()
    {
        var events = new InMemoryRunEvents(TimeProvider.System);
        using (await events.SubscribeAsync(1, 0, CancellationToken.None))
        {
            events.Publish(1, IRunEvents.StatusType, "s1");
            events.Publish(1, "log", "l1");
            events.Publish(1, IRunEvents.StatusType, "s2");
            events.Publish(1, "log", "l2");
        }

        using var again = await events.SubscribeAsync(1, 0, CancellationToken.None);

        Assert.Equal(["l1", "s2", "l2"], again.Backlog.Select(e => e.Data));
        Assert.Equal([2L, 3L, 4L], again.Backlog.Select(e => e.Sequence));
    }

    [Fact]
    public async Task SubscribeAsync_LeavesOutTheStatus_WhenTheClientHasSeenIt()
    {
        var events = new InMemoryRunEvents(TimeProvider.System);
        using (await events.SubscribeAsync(1, 0, CancellationToken.None))
        {
            events.Publish(1, IRunEvents.StatusType, "s1");
            events.Publish(1, "log", "l1");
        }

        using var again = await events.SubscribeAsync(1, lastSeen: 1, CancellationToken.None);

        Assert.Equal(["l1"], again.Backlog.Select(e => e.Data));
    }
}
