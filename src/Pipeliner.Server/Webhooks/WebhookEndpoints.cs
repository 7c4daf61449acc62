namespace Pipeliner.Server.Webhooks;

/// <summary>POST /hooks/{project}: placeholder until the forge parsing library lands.</summary>
public static class WebhookEndpoints
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services) => services;

    public static void MapWebhooks(this IEndpointRouteBuilder app)
    {
    }
}
