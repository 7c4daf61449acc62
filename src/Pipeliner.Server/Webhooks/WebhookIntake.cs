using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Http;
using Pipeliner.Server.Projects;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Webhooks;

public sealed record WebhookResponse(string Status, string? Reason = null, string? Delivery = null);

/// <summary>
/// Receives one delivery of <c>POST /hooks/{project}</c>: the project and the signature are checked while the body
/// streams in (<see cref="WebhookBody"/>), an unknown project is answered exactly as a bad signature, and what is
/// trusted is recorded (<see cref="DeliveryLog"/>) and left to the background (<see cref="DeliveryProcessor"/>).
/// </summary>
public sealed class WebhookIntake(
    PipelinerDbContext db, DeliveryLog log, DeliveryQueue queue, DeliveryTransfer transfer, UnverifiedBodies bodies, IDataProtectionProvider protection,
    WebhookKeyAlarm keyAlarm, IOptions<PipelinerOptions> options, TimeProvider time, ILogger<WebhookIntake> logger)
{
    /// <summary>The one answer to a delivery that cannot be trusted, whatever the reason: nothing tells whether the project exists.</summary>
    public const string RefusedDetail = "no such project, or the webhook signature or token is missing or does not match its secret";

    public const string SignatureMismatch = "the signature or token is missing or does not match the project's webhook secret";

    public async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> ReceiveAsync(
        string projectName, HttpRequest request, CancellationToken cancellationToken)
    {
        var timings = logger.IsEnabled(LogLevel.Debug) ? new IntakeTimings() : null;
        var answer = await ReceiveAsync(projectName, request, timings, cancellationToken);
        if (timings is not null)
        {
            logger.LogDebug("Webhook to {Project} answered {Status} in {Total:0.0} ms: {Steps}", projectName,
                answer.Result is IStatusCodeHttpResult { StatusCode: { } status } ? status : 0, timings.TotalMilliseconds, timings);
        }

        return answer;
    }

    private async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> ReceiveAsync(
        string projectName, HttpRequest request, IntakeTimings? timings, CancellationToken cancellationToken)
    {
        if (request.ContentLength > WebhookBody.MaxBytes) return TooLarge();
        string? Header(string name) => request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;
        if (ForgeDetector.Detect(Header) is not { } forge)
            return Problems.BadRequest("not a webhook this server understands: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event or X-Event-Key header");
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = WebhookBody.MaxBytes;

        var project = await ProjectByName.For(db)(db, projectName, cancellationToken);
        timings?.Mark("project");
        var (secret, refusal) = SecretOf(project, forge);
        timings?.Mark("secret");
        // Without a secret the body still goes through a check that cannot match: the same work, the same answer.
        using var check = WebhookSignature.Start(forge, Header, secret ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        var incoming = new Incoming(project, forge, WebhookParser.ReadHeaders(forge, Header));
        if (!check.CanMatch) return await RefuseAsync(incoming, refusal ?? (DeliveryOutcomes.InvalidSignature, SignatureMismatch), cancellationToken);

        var (result, body) = await WebhookBody.ReadAsync(request, check, bodies, keep: secret is not null, cancellationToken);
        timings?.Mark("body");
        await using (body)
        {
            if (result == BodyReadResult.TooLarge) return TooLarge();
            if (result == BodyReadResult.Busy)
                return Problems.Problem(StatusCodes.Status503ServiceUnavailable, "Busy", "too many webhook bodies are being received at once: send it again later");
            if (secret is null || !check.Matches())
                return await RefuseAsync(incoming, refusal ?? (DeliveryOutcomes.InvalidSignature, SignatureMismatch), cancellationToken);

            var bytes = await body!.ReadAllAsync(cancellationToken);
            var parsed = WebhookParser.Parse(forge, Header, bytes);
            timings?.Mark("parsed");
            return await AcceptAsync(incoming, parsed, timings, cancellationToken);
        }
    }

    // Every delivery reads its project: compiled once, not funcletized and looked up per call.
    private static readonly CompiledPerModel<Func<PipelinerDbContext, string, CancellationToken, Task<ProjectEntity?>>> ProjectByName = new(() =>
        EF.CompileAsyncQuery((PipelinerDbContext db, string name, CancellationToken _) => db.Projects.AsNoTracking().FirstOrDefault(p => p.Name == name)));

    private sealed record Incoming(ProjectEntity? Project, Forge Forge, (string? EventName, string? DeliveryId) Headers)
    {
        public string ForgeName => Forge.ToString().ToLowerInvariant();
    }

    /// <summary>The project's webhook secret, or why there is none to check against (null for an unknown project).</summary>
    private (string? Secret, (string Outcome, string Message)? Refusal) SecretOf(ProjectEntity? project, Forge forge)
    {
        if (project is null) return (null, null);
        if (!string.Equals(forge.ToString(), project.Forge, StringComparison.OrdinalIgnoreCase))
            return (null, (DeliveryOutcomes.InvalidSignature, $"sent by {forge.ToString().ToLowerInvariant()}, but the project receives {project.Forge} webhooks"));
        try
        {
            return (protection.CreateProtector(ProjectEndpoints.SecretPurpose).Unprotect(project.WebhookSecretProtected), null);
        }
        catch (CryptographicException e)
        {
            keyAlarm.Raise(project.Name, e);
            return (null, (DeliveryOutcomes.Failed, keyAlarm.Describe(project.Name)));
        }
    }

    private async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> RefuseAsync(
        Incoming incoming, (string Outcome, string Message) refusal, CancellationToken cancellationToken)
    {
        if (incoming.Project is { } project)
        {
            await log.RecordRefusalAsync(project.Id, incoming.ForgeName, incoming.Headers.EventName, incoming.Headers.DeliveryId,
                refusal.Outcome, refusal.Message, time.GetUtcNow(), cancellationToken);
        }

        return Problems.Unauthorized(RefusedDetail);
    }

    private async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> AcceptAsync(
        Incoming incoming, WebhookParseResult parsed, IntakeTimings? timings, CancellationToken cancellationToken)
    {
        var project = incoming.Project!;
        var delivery = new WebhookDeliveryEntity
        {
            ProjectId = project.Id,
            DeliveryId = incoming.Headers.DeliveryId,
            UniqueDeliveryId = incoming.Headers.DeliveryId,
            Forge = incoming.ForgeName,
            Event = incoming.Headers.EventName ?? "unknown",
            Outcome = DeliveryOutcomes.Ignored,
            ReceivedAt = time.GetUtcNow(),
        };
        if (project.WhyNoNewRuns() is { } archived)
        {
            // Verified first, so only the forge (who knows the secret) learns that the project is archived.
            delivery.Message = archived;
            await log.TryAddAsync(delivery, cancellationToken);
            return Problems.Conflict(archived);
        }

        switch (parsed)
        {
            case WebhookParseResult.Invalid invalid:
                delivery.Outcome = DeliveryOutcomes.Failed;
                delivery.Message = invalid.Message;
                await log.TryAddAsync(delivery, cancellationToken);
                return Problems.BadRequest(invalid.Message);
            case WebhookParseResult.Ignored ignored:
                delivery.Message = ignored.Reason;
                await log.TryAddAsync(delivery, cancellationToken);
                return TypedResults.Accepted((string?)null, new WebhookResponse("ignored", ignored.Reason));
            case WebhookParseResult.Event { ForgeEvent: var forgeEvent }:
                return await AcceptEventAsync(project, delivery, forgeEvent, timings, cancellationToken);
            default:
                throw new InvalidOperationException("unknown parse result");
        }
    }

    private async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> AcceptEventAsync(
        ProjectEntity project, WebhookDeliveryEntity delivery, ForgeEvent forgeEvent, IntakeTimings? timings, CancellationToken cancellationToken)
    {
        delivery.DeliveryId = delivery.UniqueDeliveryId = forgeEvent.DeliveryId;
        delivery.Ref = forgeEvent.Ref;
        delivery.Commit = forgeEvent.CommitSha;
        WebhookResponse answer;
        DeliveryLease? lease = null;
        if (forgeEvent.Kind == ForgeEventKind.Ping)
        {
            delivery.Message = "a ping: the forge checks that the webhook reaches the server";
            answer = new WebhookResponse("pong");
        }
        else if (forgeEvent.Deleted)
        {
            delivery.Message = $"{forgeEvent.Ref ?? "the ref"} was deleted: nothing to build";
            answer = new WebhookResponse("ignored", delivery.Message);
        }
        else
        {
            delivery.Outcome = DeliveryOutcomes.Received;
            delivery.EventJson = JsonSerializer.Serialize(forgeEvent, JsonSerializerOptions.Web);
            answer = new WebhookResponse("accepted", null, forgeEvent.DeliveryId);
            if (transfer.Journal is { } journal) return await JournalAsync(journal, project, delivery, answer, timings, cancellationToken);
            // Inserted claimed by this process's queue, so that its worker need not claim it nor read it back; should the
            // process die first, the pick-up takes it up when the lease expires.
            lease = DeliveryLease.ForNewRow(options.Value.Webhooks.LeaseDuration, delivery.ReceivedAt);
            delivery.LeaseOwner = lease.Owner;
            delivery.LeaseExpiresAt = queue.QueuedUntil(delivery.ReceivedAt);
            delivery.Attempts = 1;
        }

        var id = await log.TryAddAsync(delivery, cancellationToken);
        timings?.Mark("stored");
        if (delivery.Outcome != DeliveryOutcomes.Received) return TypedResults.Accepted((string?)null, answer);
        if (id is null) return Duplicate(project, delivery);

        queue.EnqueueHeld(lease!.Inserted(id.Value), delivery, project);
        return TypedResults.Accepted((string?)null, answer);
    }

    /// <summary>
    /// An accepted delivery recorded in the journal (SQLite): the answer waits only for the entry's flush, not for the
    /// database's write lock; <see cref="DeliveryTransfer"/> writes its row right after. A delivery in the journal or in
    /// the database already is a duplicate — checked in that order, so that a row moved meanwhile is seen either way.
    /// </summary>
    private async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> JournalAsync(
        IDeliveryJournal journal, ProjectEntity project, WebhookDeliveryEntity delivery, WebhookResponse answer, IntakeTimings? timings,
        CancellationToken cancellationToken)
    {
        var entry = await journal.TryAppendAsync(delivery, cancellationToken);
        timings?.Mark("stored", JournalAppendWait.Take());
        if (entry is null) return Duplicate(project, delivery);
        if (await log.ExistsAsync(project.Id, delivery.UniqueDeliveryId!, cancellationToken))
        {
            await journal.RemoveAsync([entry.Value], CancellationToken.None);
            return Duplicate(project, delivery);
        }

        timings?.Mark("checked");
        transfer.Enqueue(entry.Value, delivery, project);
        return TypedResults.Accepted((string?)null, answer);
    }

    private Accepted<WebhookResponse> Duplicate(ProjectEntity project, WebhookDeliveryEntity delivery)
    {
        logger.LogInformation("Delivery {Delivery} of {Project} was received before: answered as a duplicate", delivery.DeliveryId, project.Name);
        return TypedResults.Accepted((string?)null, new WebhookResponse("duplicate", "this delivery was received before", delivery.DeliveryId));
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", "webhook bodies are at most 25 MiB");
}
