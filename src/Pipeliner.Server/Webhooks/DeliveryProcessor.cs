using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Runs;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// The background half of a webhook (a worker of <see cref="DeliveryQueue"/>, by delivery row id): claims the row (<see cref="DeliveryLease"/>), turns
/// the recorded event into a run, and writes the run and the delivery's outcome in one transaction, only while it still
/// holds the claim: a delivery becomes at most one run, whoever else tries. A repository that cannot be read is tried
/// again after the configured delays; the row, not the queue, keeps when (<see cref="DeliveryPickup"/> hands it out).
/// </summary>
public sealed class DeliveryProcessor(
    PipelinerDbContext db, RunFactory factory, ScheduleSync schedules, IServiceScopeFactory scopes, IOptions<PipelinerOptions> options,
    TimeProvider time, ILogger<DeliveryProcessor> logger)
{
    /// <summary>A webhook run's trigger is this prefix and the delivery id.</summary>
    public const string TriggerPrefix = "webhook ";

    private WebhookOptions Settings => options.Value.Webhooks;

    /// <summary>
    /// Not retried by Hangfire (a job an older version queued may still run it): a failed attempt is rescheduled on the row.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task ProcessAsync(long deliveryId)
    {
        if (await DeliveryLease.ClaimAsync(db, deliveryId, Settings.LeaseDuration, time.GetUtcNow(), CancellationToken.None) is not { } lease) return;
        await ProcessUnderAsync(lease, null);
    }

    /// <summary>
    /// A delivery the intake inserted already claimed (<see cref="DeliveryLease.ForNewRow"/>), with the row and project it
    /// read (not tracked here): neither claimed nor read again. A lease that waited in the queue for a third of its
    /// duration is extended first; one taken over meanwhile is left to its new worker.
    /// </summary>
    public async Task ProcessHeldAsync(DeliveryLease lease, WebhookDeliveryEntity row, ProjectEntity project)
    {
        var now = time.GetUtcNow();
        if (now - lease.Since > lease.Duration / 3 && !await lease.ExtendAsync(db, now, CancellationToken.None)) return;
        await ProcessUnderAsync(lease, (row, project));
    }

    private async Task ProcessUnderAsync(DeliveryLease lease, (WebhookDeliveryEntity Row, ProjectEntity Project)? read)
    {
        await using var keeper = new DeliveryLeaseKeeper(lease, scopes, time, logger);
        try
        {
            await ProcessClaimedAsync(lease, read, keeper.Lost);
        }
        catch (OperationCanceledException) when (keeper.Lost.IsCancellationRequested)
        {
            // Another worker has it now and writes its outcome.
        }
    }

    private async Task ProcessClaimedAsync(DeliveryLease lease, (WebhookDeliveryEntity Row, ProjectEntity Project)? read, CancellationToken lost)
    {
        var delivery = read?.Row ?? await db.WebhookDeliveries.AsNoTracking().FirstAsync(d => d.Id == lease.DeliveryId, lost);
        var project = read?.Project ?? await db.Projects.AsNoTracking().FirstAsync(p => p.Id == delivery.ProjectId, lost);
        var maxAttempts = Settings.EffectiveRetryDelays.Count + 1;
        if (delivery.Attempts > maxAttempts)
        {
            // Only a worker that died mid-attempt gets here: the attempts it started ran out.
            await lease.SettleAsync(db, DeliveryOutcomes.Failed, $"{delivery.Attempts - 1} attempts were interrupted: {delivery.Message ?? "the server stopped while processing it"}", null, lost);
            return;
        }

        var forgeEvent = JsonSerializer.Deserialize<ForgeEvent>(delivery.EventJson!, JsonSerializerOptions.Web)!;
        RunPreparation preparation;
        PlannedRun? planned = null;
        try
        {
            preparation = await factory.PrepareAsync(project, ToTrigger(forgeEvent), lost);
            // Planned before the transaction opens: while it is open, every other writer (the webhooks' intake too) waits.
            if (preparation is RunPreparation.Ready ready) planned = factory.Plan(ready);
        }
        catch (Exception e) when (e is not OperationCanceledException || !lost.IsCancellationRequested)
        {
            await RetryOrFailAsync(lease, delivery, project, e);
            return;
        }

        if (preparation is RunPreparation.NoRun { Creation: var none })
        {
            var reason = none switch
            {
                RunCreation.NotTriggered notTriggered => notTriggered.Reason,
                RunCreation.NoPipeline noPipeline => noPipeline.Message,
                _ => none.ToString(),
            };
            if (await lease.SettleAsync(db, DeliveryOutcomes.NotTriggered, reason, null, lost))
                logger.LogInformation("Delivery {Delivery} of {Project}: no run, {Reason}", delivery.DeliveryId, project.Name, reason);
        }
        else if (await StoreRunAsync(lease, planned!, lost) is { } stored)
        {
            logger.LogInformation("Delivery {Delivery} of {Project}: {Creation}", delivery.DeliveryId, project.Name, stored.Creation);
            await factory.StartAsync(stored, CancellationToken.None);
        }

        if (forgeEvent.Kind == ForgeEventKind.Push && forgeEvent.Branch == project.DefaultBranch)
            await schedules.SyncAsync(project.Id, CancellationToken.None);
    }

    /// <summary>
    /// The planned run and the delivery's outcome in one transaction, committed only when the outcome's write found the
    /// claim still this worker's: inserts and updates only, so that the write lock is held as briefly as possible. The
    /// outcome's conditional update is the claim's check (a worker that took the delivery over either committed first, and
    /// the update matches no row, or waits for this transaction's lock on the row and then finds it settled), so the claim
    /// is not checked by a statement of its own before the run is stored.
    /// </summary>
    /// <returns>Null when the claim was lost: the transaction is rolled back, nothing was stored.</returns>
    private async Task<StoredRun?> StoreRunAsync(DeliveryLease lease, PlannedRun planned, CancellationToken lost)
    {
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var transaction = await factory.BeginStoreAsync(lost);
        var stored = await factory.StoreAsync(planned, lost);
        var (runId, message) = stored.Creation switch
        {
            RunCreation.Created created => (created.RunId, (string?)null),
            RunCreation.Invalid invalid => (invalid.RunId, "the pipeline file is invalid: the run shows its errors"),
            _ => throw new InvalidOperationException($"a stored run is created or invalid, not {stored.Creation}"),
        };
        try
        {
            if (!await lease.SettleAsync(db, DeliveryOutcomes.Run, message, runId, lost))
            {
                stored.Abandon();
                return null;
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        catch
        {
            stored.Abandon();
            throw;
        }

        // Every other writer (a webhook's intake too) waits while this transaction is open: Debug shows how long it was.
        logger.LogDebug("Delivery {Delivery}: run {Run} stored in {Milliseconds:0.0} ms (the transaction, its wait for the write lock included)",
            lease.DeliveryId, runId, System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMilliseconds);
        return stored;
    }

    private async Task RetryOrFailAsync(DeliveryLease lease, WebhookDeliveryEntity delivery, ProjectEntity project, Exception e)
    {
        // The repository may lag behind the forge's event, or be unreachable for a while: tried again, then failed.
        var message = e is WorkspaceException ? e.Message : $"the server failed to process it: {e.Message}";
        if (e is not WorkspaceException) logger.LogError(e, "Delivery {Delivery} of {Project} failed", delivery.DeliveryId, project.Name);
        var delays = Settings.EffectiveRetryDelays;
        if (delivery.Attempts > delays.Count)
        {
            var failed = delivery.Attempts == 1 ? message : $"{message} (after {delivery.Attempts} attempts)";
            await lease.SettleAsync(db, DeliveryOutcomes.Failed, failed, null, CancellationToken.None);
            logger.LogWarning("Delivery {Delivery} of {Project} failed: {Reason}", delivery.DeliveryId, project.Name, failed);
            return;
        }

        var next = time.GetUtcNow() + delays[delivery.Attempts - 1];
        await lease.RetryAtAsync(db, next, message, CancellationToken.None);
        logger.LogWarning("Delivery {Delivery} of {Project} failed (attempt {Attempt}), next attempt at {Next:u}: {Reason}",
            delivery.DeliveryId, project.Name, delivery.Attempts, next, message);
    }

    public static TriggerRequest ToTrigger(ForgeEvent forgeEvent) => new()
    {
        Event = forgeEvent.Kind switch
        {
            ForgeEventKind.Tag => EventKind.Tag,
            ForgeEventKind.PullRequest => EventKind.PullRequest,
            _ => EventKind.Push,
        },
        Branch = forgeEvent.Branch,
        Tag = forgeEvent.Tag,
        CommitSha = forgeEvent.CommitSha,
        CommitRef = forgeEvent.Ref,
        ChangedPaths = forgeEvent.ChangedPaths,
        CommitMessage = forgeEvent.CommitMessage ?? forgeEvent.PullRequestTitle,
        Author = forgeEvent.Author,
        PullRequestNumber = forgeEvent.PullRequestNumber,
        SourceBranch = forgeEvent.SourceBranch,
        // Unknown counts as a fork: secrets go only where the forge said the code comes from the project's own repository.
        FromFork = forgeEvent.Kind == ForgeEventKind.PullRequest && forgeEvent.FromFork != false,
        Trigger = TriggerPrefix + forgeEvent.DeliveryId,
    };
}
