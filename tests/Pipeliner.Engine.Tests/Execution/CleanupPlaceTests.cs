using Pipeliner.Engine.Execution;

namespace Pipeliner.Engine.Tests.Execution;

/// <summary>A place reserved before a claim comes back by its holder's disposal, once, whoever holds it last.</summary>
public sealed class CleanupPlaceTests
{
    private readonly BackgroundCleanups _cleanups = new(1, (_, e) => throw e);

    [Fact]
    public async Task Dispose_GivesThePlaceBack_WhenNoAttemptTookIt()
    {
        Task<CleanupPlace> next;
        using (await _cleanups.ReserveAsync(CancellationToken.None))
        {
            next = _cleanups.ReserveAsync(CancellationToken.None);
            Assert.False(next.IsCompleted);
        }

        (await next).Dispose();
    }

    [Fact]
    public async Task Dispose_GivesThePlaceBackOnce_WhenCalledTwice()
    {
        var place = await _cleanups.ReserveAsync(CancellationToken.None);
        place.Dispose();
        place.Dispose();

        var taken = await _cleanups.ReserveAsync(CancellationToken.None);
        var next = _cleanups.ReserveAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        taken.Dispose();
        (await next).Dispose();
    }

    [Fact]
    public async Task HandOver_LeavesThePlaceToTheNewHolder_WhenTheOldOneIsDisposed()
    {
        CleanupPlace handedOver;
        using (var place = await _cleanups.ReserveAsync(CancellationToken.None))
        {
            handedOver = place.HandOver();
            Assert.Throws<ObjectDisposedException>(() => place.HandOver());
        }

        var next = _cleanups.ReserveAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        handedOver.Dispose();
        (await next).Dispose();
    }

    [Fact]
    public async Task TryReserve_GivesNoPlaceWithoutWaiting_WhenEveryPlaceIsHeld()
    {
        var held = await _cleanups.ReserveAsync(CancellationToken.None);

        Assert.Null(_cleanups.TryReserve());
        held.Dispose();
        using var free = _cleanups.TryReserve();
        Assert.NotNull(free);
        Assert.Null(_cleanups.TryReserve());
    }
}
