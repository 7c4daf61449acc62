using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Hosting;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// Moves the deliveries the intake journaled (<see cref="IDeliveryJournal"/>, SQLite only) into their rows in the
/// database, in batches of what arrived meanwhile, each batch one transaction committed to disk (<see
/// cref="IDatabaseProvider.DurableWrites"/>); then removes their entries and hands each row, claimed by this process, to
/// <see cref="DeliveryQueue"/>. At start, before anything new, it moves the entries a stopped process left (its
/// <c>202</c> answered, its row never written): an accepted delivery is never lost. A row is inserted once per forge
/// delivery id (<see cref="DeliveryLog.TryAddAsync"/>), so an entry moved twice (its removal lost) is harmless.
/// </summary>
public sealed class DeliveryTransfer(
    IDatabaseProvider database, IServiceProvider services, IServiceScopeFactory scopes, DeliveryQueue queue, IOptions<PipelinerOptions> options,
    TimeProvider time, ILogger<DeliveryTransfer> logger) : BackgroundService
{
    private const int Batch = 64;

    private readonly Channel<Pending> _waiting = Channel.CreateUnbounded<Pending>();

    /// <summary>The journal accepted deliveries are recorded in before their answer; null when they are inserted at once (PostgreSQL).</summary>
    public IDeliveryJournal? Journal { get; } = database.CreateDeliveryJournal(services);

    /// <summary>A journal entry to move; its project when the intake read it (then the row is handed over claimed).</summary>
    private sealed record Pending(long EntryId, WebhookDeliveryEntity Row, ProjectEntity? Project);

    /// <summary>An entry the intake has just journaled, with the project it read.</summary>
    public void Enqueue(long entryId, WebhookDeliveryEntity row, ProjectEntity project) =>
        _waiting.Writer.TryWrite(new Pending(entryId, row, project));

    public override void Dispose()
    {
        (Journal as IDisposable)?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Journal is null) return;
        // Off the pool and below the intake's threads: the intake's answers first while a burst arrives.
        await LowPriorityThread.RunAsync("Delivery transfer", options.Value.Webhooks.BackgroundNice, () => TransferAllAsync(stoppingToken));
    }

    private async Task TransferAllAsync(CancellationToken stoppingToken)
    {
        try
        {
            var left = await Journal!.ReadAllAsync(stoppingToken);
            foreach (var chunk in left.Chunk(Batch))
                await TransferUntilDoneAsync(chunk.Select(e => new Pending(e.EntryId, e.Delivery, null)).ToList(), stoppingToken);
            if (left.Count > 0) logger.LogInformation("Stored {Count} webhook deliveries accepted before the last stop", left.Count);

            var batch = new List<Pending>(Batch);
            while (await _waiting.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < Batch && _waiting.Reader.TryRead(out var pending)) batch.Add(pending);
                await TransferUntilDoneAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Entries not moved yet stay in the journal for the next start.
        }
    }

    private async Task TransferUntilDoneAsync(IReadOnlyList<Pending> batch, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await TransferAsync(batch, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var wait = TimeSpan.FromSeconds(Math.Min(attempt, 10));
                logger.LogWarning("Could not store {Count} accepted webhook deliveries (kept in the journal), trying again in {Wait}: {Reason}",
                    batch.Count, wait, e.Message);
                await Task.Delay(wait, time, stoppingToken);
            }
        }
    }

    // Every batch asks: compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, List<int>, IAsyncEnumerable<int>>> ExistingProjects = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, List<int> projectIds) => db.Projects.Where(p => projectIds.Contains(p.Id)).Select(p => p.Id)));

    private async Task TransferAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stored = new List<(Pending Pending, long Id, DeliveryLease? Lease)>(batch.Count);
        await using (var scope = scopes.CreateAsyncScope())
        using (database.DurableWrites())
        {
            var db = scope.ServiceProvider.GetRequiredService<PipelinerDbContext>();
            var log = scope.ServiceProvider.GetRequiredService<DeliveryLog>();
            // A project deleted since (with its deliveries) takes its journaled ones along: they would fail the batch.
            var projectIds = batch.Select(p => p.Row.ProjectId).Distinct().ToList();
            var projects = new HashSet<int>();
            await foreach (var id in ExistingProjects.For(db)(db, projectIds).WithCancellation(cancellationToken)) projects.Add(id);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var pending in batch)
            {
                if (!projects.Contains(pending.Row.ProjectId))
                {
                    logger.LogInformation("Webhook delivery {Delivery} was accepted for a project deleted since: dropped", pending.Row.DeliveryId);
                    continue;
                }

                var row = pending.Row;
                // Claimed by this process when the intake handed it over with its project (the worker neither claims nor
                // reads it); a left entry is queued unclaimed. Either way the pick-up leaves it alone until then.
                var lease = pending.Project is null ? null : DeliveryLease.ForNewRow(options.Value.Webhooks.LeaseDuration, now);
                row.LeaseOwner = lease?.Owner;
                row.Attempts = lease is null ? 0 : 1;
                row.LeaseExpiresAt = queue.QueuedUntil(now);
                if (await log.TryAddAsync(row, cancellationToken) is { } id) stored.Add((pending, id, lease));
            }

            await transaction.CommitAsync(cancellationToken);
        }

        try
        {
            // Made by the journal's own writer thread, after any append waiting: never on this niced thread, whose
            // preemption would keep the journal's write lock from the intake's next append.
            await Journal!.RemoveAsync(batch.Select(p => p.EntryId).ToList(), CancellationToken.None);
        }
        catch (Exception e)
        {
            // Left entries are moved again at the next start, as no-ops; meanwhile they answer a redelivery as a duplicate.
            logger.LogWarning("Could not remove {Count} stored webhook deliveries from the journal: {Reason}", batch.Count, e.Message);
        }

        foreach (var (pending, id, lease) in stored)
        {
            if (lease is null) queue.Enqueue(id);
            else queue.EnqueueHeld(lease.Inserted(id), pending.Row, pending.Project!);
        }
    }
}
