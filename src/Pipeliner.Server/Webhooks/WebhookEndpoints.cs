using System.Diagnostics;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Pipeliner.Forges;
using Pipeliner.Server.Data;
using Pipeliner.Server.Data.Entities;
using Pipeliner.Server.Http;
using Pipeliner.Server.Projects;

namespace Pipeliner.Server.Webhooks;

public sealed record WebhookResponse(string Status, string? Reason = null, string? Delivery = null);

/// <summary>
/// <c>POST /hooks/{project}</c>: checks the signature, parses the delivery, records it once (redeliveries are
/// answered but create nothing) and leaves the rest — fetch, read the pipeline, plan — to a background job.
/// </summary>
public static class WebhookEndpoints
{
    public const long MaxBodyBytes = 25L * 1024 * 1024;

    public static IServiceCollection AddWebhooks(this IServiceCollection services) =>
        services.AddScoped<WebhookRunJob>().AddScoped<ScheduleSync>().AddScoped<ScheduledRunJob>();

    public static void MapWebhooks(this IEndpointRouteBuilder app) =>
        app.MapPost("/hooks/{project}", ReceiveAsync).WithTags("Webhooks").AllowAnonymous()
            .Accepts<JsonElement>("application/json")
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound,
                StatusCodes.Status413PayloadTooLarge)
            .AddEndpointFilter(async (context, next) =>
            {
                var started = Stopwatch.GetTimestamp();
                var answer = await next(context);
                context.HttpContext.RequestServices.GetRequiredService<ServerMetrics>().ObserveWebhook(Stopwatch.GetElapsedTime(started));
                return answer;
            });

    private static async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> ReceiveAsync(
        string project, HttpContext http, PipelinerDbContext db, IDataProtectionProvider protection,
        IBackgroundJobClient jobs, TimeProvider time, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength > MaxBodyBytes) return TooLarge();
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        var entity = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == project, cancellationToken);
        if (entity is null) return Problems.NotFound($"no project '{project}'");

        var body = await ReadBodyAsync(http.Request, cancellationToken);
        if (body is null) return TooLarge();
        string? Header(string name) => http.Request.Headers.TryGetValue(name, out var value) ? value.ToString() : null;
        var forge = ForgeDetector.Detect(Header);
        if (forge is null)
            return Problems.BadRequest("not a webhook this server understands: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event or X-Event-Key header");
        if (!string.Equals(forge.Value.ToString(), entity.Forge, StringComparison.OrdinalIgnoreCase))
            return Problems.BadRequest($"project '{project}' receives {entity.Forge} webhooks, this one is from {forge.Value.ToString().ToLowerInvariant()}");

        var secret = protection.CreateProtector(ProjectEndpoints.SecretPurpose).Unprotect(entity.WebhookSecretProtected);
        if (!WebhookSignature.Verify(forge.Value, Header, body, secret))
            return Problems.Unauthorized("the webhook signature or token is missing or does not match the project's secret");

        switch (WebhookParser.Parse(forge.Value, Header, body))
        {
            case WebhookParseResult.Invalid invalid:
                return Problems.BadRequest(invalid.Message);
            case WebhookParseResult.Ignored ignored:
                return TypedResults.Accepted((string?)null, new WebhookResponse("ignored", ignored.Reason));
            case WebhookParseResult.Event { ForgeEvent: var forgeEvent }:
                return await AcceptAsync(entity, forgeEvent, db, jobs, time, cancellationToken);
            default:
                throw new InvalidOperationException("unknown parse result");
        }
    }

    private static async Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> AcceptAsync(
        ProjectEntity project, ForgeEvent forgeEvent, PipelinerDbContext db, IBackgroundJobClient jobs, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (forgeEvent.Kind == ForgeEventKind.Ping) return TypedResults.Accepted((string?)null, new WebhookResponse("pong"));
        if (forgeEvent.Deleted)
            return TypedResults.Accepted((string?)null, new WebhookResponse("ignored", $"{forgeEvent.Ref ?? "the ref"} was deleted: nothing to build"));

        var delivery = new WebhookDeliveryEntity
        {
            ProjectId = project.Id,
            DeliveryId = forgeEvent.DeliveryId,
            Forge = forgeEvent.Forge.ToString().ToLowerInvariant(),
            Kind = forgeEvent.Kind.ToString().ToLowerInvariant(),
            Outcome = WebhookOutcomes.Received,
            EventJson = JsonSerializer.Serialize(forgeEvent, JsonSerializerOptions.Web),
            ReceivedAt = time.GetUtcNow(),
        };
        db.WebhookDeliveries.Add(delivery);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The unique index on (project, delivery id) refused it: a redelivery.
            var seen = await db.WebhookDeliveries.AsNoTracking()
                .AnyAsync(d => d.ProjectId == project.Id && d.DeliveryId == forgeEvent.DeliveryId, CancellationToken.None);
            if (!seen) throw;
            return TypedResults.Accepted((string?)null, new WebhookResponse("duplicate", "this delivery was received before", forgeEvent.DeliveryId));
        }

        jobs.Enqueue<WebhookRunJob>(job => job.ProcessAsync(delivery.Id, null));
        return TypedResults.Accepted((string?)null, new WebhookResponse("accepted", null, forgeEvent.DeliveryId));
    }

    /// <summary>The whole body, or null when it is larger than the limit (also when no length was announced).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", "webhook bodies are at most 25 MiB");
}

/// <summary>What became of a delivery.</summary>
public static class WebhookOutcomes
{
    public const string Received = "received";
    public const string RunCreated = "run_created";
    public const string InvalidPipeline = "invalid_pipeline";
    public const string NotTriggered = "not_triggered";
    public const string NoPipeline = "no_pipeline";
    public const string Failed = "failed";
}
