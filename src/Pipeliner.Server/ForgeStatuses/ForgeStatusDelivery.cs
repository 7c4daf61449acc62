using System.Net;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Providers;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// The Hangfire job that brings one status context on the forge up to an update. Under the context's lock it sends,
/// in order, every update not settled yet up to this one, so that the forge sees the states in the order they happened
/// and the newest last; an update at or below the settled one is skipped, so a late retry never overwrites a newer
/// state. Every try is recorded. A failure worth retrying throws, and Hangfire retries with exponential backoff; it also
/// puts the resend of unsettled states on its schedule, for when Hangfire's retries end before the forge is back.
/// </summary>
public sealed class ForgeStatusDelivery(
    PipelinerDbContext db, ForgeStatusLocks locks, IDatabaseProvider database, ForgeStatusTargets targets, IHttpClientFactory http, TimeProvider time,
    IBackgroundJobClient jobs, ForgeStatusResendSchedule resend, ILogger<ForgeStatusDelivery> logger)
{
    public const string HttpClientName = "forge-statuses";

    /// <summary>Deliveries have a queue and workers of their own: a forge that hangs never delays turning webhooks into runs.</summary>
    public const string Queue = "forge-statuses";

    public const int Retries = 10;

    /// <summary>
    /// How long a delivery waits for another of its context (a forge answers sooner), and when it comes back if that one
    /// is still on the wire.
    /// </summary>
    public static readonly TimeSpan BusyContextWait = TimeSpan.FromSeconds(2), BusyContextDelay = TimeSpan.FromSeconds(5);

    [Queue(Queue)]
    [AutomaticRetry(Attempts = Retries, DelaysInSeconds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])]
    public async Task DeliverAsync(long updateId)
    {
        var contextId = await db.ForgeStatusUpdates.Where(u => u.Id == updateId).Select(u => (long?)u.ContextId).FirstOrDefaultAsync();
        if (contextId is null) return;
        using var held = await locks.TryAcquireAsync(contextId.Value, BusyContextWait);
        if (held is null)
        {
            // Another delivery of this context is on the wire, up to the forge's timeout if the forge hangs: this one comes
            // back later rather than hold one of the queue's two workers while it waits, and other forges' deliveries with it.
            jobs.Schedule<ForgeStatusDelivery>(delivery => delivery.DeliverAsync(updateId), BusyContextDelay);
            return;
        }

        // Deliveries of this context may run on other replicas: their lock in the database too.
        await using var __ = await database.LockAsync(db, ClusterLock.ForgeStatusContext, contextId.Value, CancellationToken.None);
        // Read after taking the lock: what the deliveries before this one left.
        var update = await db.ForgeStatusUpdates.Include(u => u.Context).FirstAsync(u => u.Id == updateId);
        var context = update.Context!;
        if (update.Sequence <= context.SettledSequence)
        {
            await RecordAsync(update, ForgeStatusOutcomes.Skipped, null,
                $"superseded: a newer state of this context is settled already (the forge shows '{context.DeliveredState ?? "none"}')");
            return;
        }

        var (target, whyNot) = await targets.ResolveAsync(context.RunId);
        if (target is null)
        {
            context.SettledSequence = update.Sequence;
            await RecordAsync(update, ForgeStatusOutcomes.Skipped, null, whyNot);
            return;
        }

        var due = await db.ForgeStatusUpdates
            .Where(u => u.ContextId == context.Id && u.Sequence > context.SettledSequence && u.Sequence <= update.Sequence)
            .OrderBy(u => u.Sequence).ToListAsync();
        foreach (var next in due) await SendAsync(target, context, next);
    }

    private async Task SendAsync(ForgeStatusTarget target, ForgeStatusContextEntity context, ForgeStatusUpdateEntity update)
    {
        using var request = ForgeStatusRequests.Build(target, context.Context, CommitStates.Parse(update.State), update.Description);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            var message = e is TaskCanceledException ? "the forge did not answer in time" : $"the forge could not be reached: {e.Message}";
            await FailedAsync(update, null, message);
            throw new ForgeStatusException($"status update {update.Id} of run {context.RunId}: {message}", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                context.SettledSequence = update.Sequence;
                context.DeliveredState = update.State;
                await RecordAsync(update, ForgeStatusOutcomes.Delivered, status, null);
                return;
            }

            var reason = await ReasonAsync(response);
            if (IsWorthRetrying(response.StatusCode))
            {
                await FailedAsync(update, status, reason);
                throw new ForgeStatusException($"status update {update.Id} of run {context.RunId}: HTTP {status} {reason}");
            }

            // A refused token or an unknown repository stays so: retrying would only repeat the refusal.
            context.SettledSequence = update.Sequence;
            await RecordAsync(update, ForgeStatusOutcomes.Refused, status, reason);
            logger.LogWarning("The forge refused status update {Update} of run {Run} with HTTP {Status}: {Reason}", update.Id, context.RunId, status, reason);
        }
    }

    /// <summary>Records the failed try, then arms the resend: a pass that looks after the record sees the state unsettled.</summary>
    private async Task FailedAsync(ForgeStatusUpdateEntity update, int? httpStatus, string message)
    {
        await RecordAsync(update, ForgeStatusOutcomes.Failed, httpStatus, message);
        resend.Arm();
    }

    private static bool IsWorthRetrying(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict;

    private static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        var text = (await response.Content.ReadAsStringAsync()).ReplaceLineEndings(" ").Trim();
        var reason = response.ReasonPhrase ?? response.StatusCode.ToString();
        return text.Length == 0 ? reason : $"{reason}: {(text.Length <= 300 ? text : text[..300] + "…")}";
    }

    private async Task RecordAsync(ForgeStatusUpdateEntity update, string outcome, int? httpStatus, string? message)
    {
        db.ForgeStatusAttempts.Add(new ForgeStatusAttemptEntity
        {
            UpdateId = update.Id,
            At = time.GetUtcNow(),
            Outcome = outcome,
            HttpStatus = httpStatus,
            Message = message,
        });
        await db.SaveChangesAsync(CancellationToken.None);
    }
}

public static class ForgeStatusOutcomes
{
    /// <summary>The forge accepted it.</summary>
    public const string Delivered = "delivered";

    /// <summary>The forge was down or answered 5xx, 408, 409 or 429: tried again later.</summary>
    public const string Failed = "failed";

    /// <summary>The forge refused it (401, 404, 422…): not tried again.</summary>
    public const string Refused = "refused";

    /// <summary>Not sent: a newer state was settled already, or there is nowhere to send it.</summary>
    public const string Skipped = "skipped";
}

/// <summary>A delivery that failed in a way worth retrying; Hangfire retries it with backoff.</summary>
public sealed class ForgeStatusException(string message, Exception? inner = null) : Exception(message, inner);
