using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pipeliner.Server.Auth;
using Pipeliner.Server.Http;

namespace Pipeliner.Server.Webhooks;

/// <summary>
/// <c>POST /hooks/{project}</c> (<see cref="WebhookIntake"/>) and the deliveries API (<see cref="DeliveryEndpoints"/>);
/// the background processing (<see cref="DeliveryProcessor"/>, <see cref="DeliveryPickup"/>) and housekeeping
/// (<see cref="DeliveryRetention"/>) they lead to.
/// </summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services) =>
        services.AddScoped<WebhookIntake>().AddScoped<DeliveryLog>().AddScoped<DeliveryProcessor>().AddScoped<DeliveryRetention>()
            .AddSingleton<DeliveryQueue>().AddHostedService(services => services.GetRequiredService<DeliveryQueue>())
            .AddSingleton<DeliveryTransfer>().AddHostedService(services => services.GetRequiredService<DeliveryTransfer>())
            .AddSingleton<UnverifiedBodies>().AddSingleton<WebhookKeyAlarm>()
            .AddScoped<ScheduleSync>().AddScoped<ScheduledRunJob>();

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/hooks/{project}", ReceiveAsync).WithTags("Webhooks").ChecksItsOwnCredentials()
            .Accepts<JsonElement>("application/json")
            .WithProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status503ServiceUnavailable)
            .AddEndpointFilter(async (context, next) =>
            {
                var started = Stopwatch.GetTimestamp();
                var answer = await next(context);
                context.HttpContext.RequestServices.GetRequiredService<ServerMetrics>().ObserveWebhook(Stopwatch.GetElapsedTime(started));
                return answer;
            });
        app.MapDeliveries();
    }

    private static Task<Results<Accepted<WebhookResponse>, ProblemHttpResult>> ReceiveAsync(
        string project, HttpRequest request, WebhookIntake intake, CancellationToken cancellationToken) =>
        intake.ReceiveAsync(project, request, cancellationToken);
}
