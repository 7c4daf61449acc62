using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Scheduling;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Hands a delivery to one of this process's delivery workers (<see cref="WebhookOptions.Workers"/>), each processing one
/// delivery row at a time with <see cref="DeliveryProcessor"/> in a scope of its own. The row says it is queued until one
/// lease duration from now, so that <see cref="DeliveryPickup"/> leaves it alone meanwhile; should it never be processed
/// (the process died), the pick-up queues it again after that.
/// </summary>
/// <remarks>
/// The stored row is what makes a delivery safe, not the queue, which is memory only: a delivery the process had queued when
/// it died is queued again by the pick-up (of any replica) once the row's lease has expired, and the claim on the row
/// (<see cref="DeliveryLease"/>) makes a delivery queued twice harmless. Deliveries once went through a Hangfire job each:
/// about five writes to Hangfire's storage per delivery (create, fetch, processing, succeeded, expiry), each a commit with
/// its flush, for a queue that the row already is.
/// </remarks>
public sealed class DeliveryQueue(IServiceScopeFactory scopes, IOptions<PipelinerOptions> options, ILogger<DeliveryQueue> logger)
    : BackgroundService
{
    private readonly Channel<Queued> _waiting = Channel.CreateUnbounded<Queued>();
    private int _processing;

    /// <summary>A delivery row to claim, or one inserted already claimed by this process, with its row and project.</summary>
    private sealed record Queued(long DeliveryId, (DeliveryLease Lease, WebhookDeliveryEntity Row, ProjectEntity Project)? Held = null);

    public DateTimeOffset QueuedUntil(DateTimeOffset now) => now + options.Value.Webhooks.LeaseDuration;

    // The same signal the agents' long polls wait on, a private instance of it: rung at every enqueue here.
    private readonly DispatchSignal _enqueued = new();

    /// <summary>
    /// Completes when a delivery is next queued here: every delivery row this process writes is queued (or the process
    /// stopped before), so an idle <see cref="DeliveryPickup"/> waits for it. Take it before looking at the rows.
    /// </summary>
    public Task NextEnqueue => _enqueued.Next;

    /// <summary>A row a worker claims when it gets to it (a retry, a redelivery, one whose worker died).</summary>
    public void Enqueue(long deliveryId)
    {
        _waiting.Writer.TryWrite(new Queued(deliveryId));
        _enqueued.Notify();
    }

    /// <summary>
    /// A row the intake has just inserted under <paramref name="lease"/> (<see cref="DeliveryLease.ForNewRow"/>), with what
    /// it read: the worker neither claims it nor reads it back.
    /// </summary>
    public void EnqueueHeld(DeliveryLease lease, WebhookDeliveryEntity row, ProjectEntity project)
    {
        _waiting.Writer.TryWrite(new Queued(lease.DeliveryId, (lease, row, project)));
        _enqueued.Notify();
    }

    /// <summary>Deliveries being processed by this process's workers now.</summary>
    public int Processing => Volatile.Read(ref _processing);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.Webhooks.Workers).Select(n => RunWorkerAsync(n, stoppingToken)));

    /// <summary>A worker on a thread of its own that gives way to the intake (<see cref="WebhookOptions.BackgroundNice"/>), or on the pool.</summary>
    private Task RunWorkerAsync(int number, CancellationToken stoppingToken) =>
        LowPriorityThread.RunAsync($"Delivery worker {number + 1}", options.Value.Webhooks.BackgroundNice, () => WorkAsync(stoppingToken));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _waiting.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_waiting.Reader.TryRead(out var queued)) await ProcessAsync(queued);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server stops: queued deliveries are picked up again from their rows at the next start.
        }
    }

    private async Task ProcessAsync(Queued queued)
    {
        var deliveryId = queued.DeliveryId;
        Interlocked.Increment(ref _processing);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var processor = scope.ServiceProvider.GetRequiredService<DeliveryProcessor>();
            if (queued.Held is var (lease, row, project)) await processor.ProcessHeldAsync(lease, row, project);
            else await processor.ProcessAsync(deliveryId);
        }
        catch (Exception e)
        {
            // The row keeps the delivery: its lease expires and the pick-up queues it again.
            logger.LogError(e, "Delivery row {Delivery} could not be processed now; it is picked up again when its lease expires", deliveryId);
        }
        finally
        {
            Interlocked.Decrement(ref _processing);
        }
    }
}
