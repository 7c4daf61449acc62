using Pipeliner.Server.Data;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Extends a lease every third of its duration while its worker processes the delivery (a fetch can take minutes), on
/// a database context of its own; when the lease was taken over, <see cref="Lost"/> is cancelled and the worker stops.
/// </summary>
public sealed class DeliveryLeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _loop;

    public DeliveryLeaseKeeper(DeliveryLease lease, IServiceScopeFactory scopes, TimeProvider time, ILogger logger)
    {
        _timer = new PeriodicTimer(lease.Duration / 3, time);
        _loop = KeepAsync(lease, scopes, time, logger);
    }

    /// <summary>Cancelled once another worker holds the delivery.</summary>
    public CancellationToken Lost => _lost.Token;

    public async ValueTask DisposeAsync()
    {
        // A disposed timer ends the wait in progress (it returns false): no cancellation thrown for every delivery.
        _timer.Dispose();
        await _loop;
        _lost.Dispose();
    }

    private async Task KeepAsync(DeliveryLease lease, IServiceScopeFactory scopes, TimeProvider time, ILogger logger)
    {
        while (await _timer.WaitForNextTickAsync())
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
                if (await lease.ExtendAsync(db, time.GetUtcNow(), CancellationToken.None)) continue;
                logger.LogWarning("Delivery row {Delivery} was taken over by another worker: this one stops", lease.DeliveryId);
                await _lost.CancelAsync();
                return;
            }
            catch (Exception e)
            {
                // A busy database: the next tick tries again, well before the lease ends.
                logger.LogWarning("Could not extend the lease on delivery row {Delivery}: {Reason}", lease.DeliveryId, e.Message);
            }
        }
    }
}
