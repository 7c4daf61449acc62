using System.Net;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;

namespace Pipeliner.Server.ForgeStatuses;

/// <summary>
/// The Hangfire job that sends one status update to the forge. Updates of a context are numbered; under the context's
/// lock, an update older than the one the forge last accepted is skipped, so retries and deliveries out of order never
/// leave the forge with anything but the newest state. Every try is recorded.
/// </summary>
public sealed class ForgeStatusDelivery(
    PipelinerDbContext db, ForgeStatusLocks locks, ForgeStatusTargets targets, IHttpClientFactory http, TimeProvider time,
    ILogger<ForgeStatusDelivery> logger)
{
    public const string HttpClientName = "forge-statuses";
    public const int Retries = 10;

    [AutomaticRetry(Attempts = Retries, DelaysInSeconds = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])]
    public async Task DeliverAsync(long updateId)
    {
        var contextId = await db.ForgeStatusUpdates.Where(u => u.Id == updateId).Select(u => (long?)u.ContextId).FirstOrDefaultAsync();
        if (contextId is null) return;
        using var _ = await locks.AcquireAsync(contextId.Value, CancellationToken.None);
        // Read after taking the lock: what the deliveries before this one left.
        var update = await db.ForgeStatusUpdates.Include(u => u.Context).FirstAsync(u => u.Id == updateId);
        var context = update.Context!;
        if (update.Sequence <= context.DeliveredSequence)
        {
            await RecordAsync(update, ForgeStatusOutcomes.Skipped, null, $"superseded: the forge has this context's newer state '{context.DeliveredState}'");
            return;
        }

        var (target, whyNot) = await targets.ResolveAsync(context.RunId);
        if (target is null)
        {
            await RecordAsync(update, ForgeStatusOutcomes.Skipped, null, whyNot);
            return;
        }

        using var request = ForgeStatusRequests.Build(target, context.Context, CommitStates.Parse(update.State), update.Description);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            var message = e is TaskCanceledException ? "the forge did not answer in time" : $"the forge could not be reached: {e.Message}";
            await RecordAsync(update, ForgeStatusOutcomes.Failed, null, message);
            throw new ForgeStatusException($"status {updateId} of run {context.RunId}: {message}", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                context.DeliveredSequence = update.Sequence;
                context.DeliveredState = update.State;
                await RecordAsync(update, ForgeStatusOutcomes.Delivered, status, null);
                return;
            }

            var reason = await ReasonAsync(response);
            await RecordAsync(update, ForgeStatusOutcomes.Failed, status, reason);
            // A refused token or an unknown repository stays so: retrying would only repeat the refusal.
            if (IsWorthRetrying(response.StatusCode)) throw new ForgeStatusException($"status {updateId} of run {context.RunId}: HTTP {status} {reason}");
            logger.LogWarning("The forge refused status {Update} of run {Run} with HTTP {Status}: {Reason}", updateId, context.RunId, status, reason);
        }
    }

    private static bool IsWorthRetrying(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict;

    private static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        text = text.ReplaceLineEndings(" ").Trim();
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
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
}

/// <summary>A delivery that failed in a way worth retrying; Hangfire retries it with backoff.</summary>
public sealed class ForgeStatusException(string message, Exception? inner = null) : Exception(message, inner);
