using System.Text.Json;
using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Core.Model;
using Pipeliner.Engine.Workspaces;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Runs;

namespace Pipeliner.Server.Webhooks;

/// <summary>The background half of a webhook (Hangfire, by delivery id): turns the recorded event into a run.</summary>
public sealed class WebhookRunJob(PipelinerDbContext db, RunFactory factory, ScheduleSync schedules, ILogger<WebhookRunJob> logger)
{
    public const int Retries = 5;

    /// <summary>A webhook run's trigger is this prefix and the delivery id.</summary>
    public const string TriggerPrefix = "webhook ";

    /// <param name="context">Given by Hangfire (enqueue with null): tells the how-many-th attempt this is.</param>
    [AutomaticRetry(Attempts = Retries, DelaysInSeconds = [1, 5, 30, 120, 600])]
    public async Task ProcessAsync(long deliveryId, PerformContext? context)
    {
        var delivery = await db.WebhookDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId);
        if (delivery is null || delivery.Outcome != WebhookOutcomes.Received) return;
        var project = await db.Projects.FirstAsync(p => p.Id == delivery.ProjectId);
        var forgeEvent = JsonSerializer.Deserialize<ForgeEvent>(delivery.EventJson, JsonSerializerOptions.Web)!;

        RunCreation creation;
        try
        {
            creation = await factory.CreateAsync(project, ToTrigger(forgeEvent), CancellationToken.None);
        }
        catch (WorkspaceException e)
        {
            // The repository may lag behind the forge's event: retried with backoff, and recorded as failed at the end.
            var retried = context?.GetJobParameter<int>("RetryCount") ?? Retries;
            delivery.Message = e.Message;
            if (retried >= Retries) delivery.Outcome = WebhookOutcomes.Failed;
            await db.SaveChangesAsync();
            logger.LogWarning("Delivery {Delivery} of {Project} failed (attempt {Attempt}): {Reason}", delivery.DeliveryId, project.Name, retried + 1, e.Message);
            if (retried >= Retries) return;
            throw;
        }

        (delivery.Outcome, delivery.Message, delivery.RunId) = creation switch
        {
            RunCreation.Created created => (WebhookOutcomes.RunCreated, (string?)null, (long?)created.RunId),
            RunCreation.Invalid invalid => (WebhookOutcomes.InvalidPipeline, "the pipeline file is invalid", invalid.RunId),
            RunCreation.NoPipeline none => (WebhookOutcomes.NoPipeline, none.Message, null),
            RunCreation.NotTriggered not => (WebhookOutcomes.NotTriggered, not.Reason, null),
            _ => (WebhookOutcomes.Failed, "unknown outcome", null),
        };
        await db.SaveChangesAsync();
        logger.LogInformation("Delivery {Delivery} of {Project}: {Outcome} {Message}", delivery.DeliveryId, project.Name, delivery.Outcome, delivery.Message);

        if (forgeEvent.Kind == ForgeEventKind.Push && forgeEvent.Branch == project.DefaultBranch)
            await schedules.SyncAsync(project.Id, CancellationToken.None);
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
