namespace Pipeliner.Server.Retention;

/// <summary>Retention's services: the planner's reader and the pass (the stores it removes through are <c>AddArchiveStores</c>'s).</summary>
public static class RetentionSetup
{
    public static IServiceCollection AddRetention(this IServiceCollection services) => services
        .AddSingleton<RetentionGate>()
        .AddScoped<RetentionScanner>()
        .AddScoped<RetentionPass>();
}
