using Pipeliner.Server.Artifacts;

namespace Pipeliner.Server.Retention;

/// <summary>Retention's services: the artifact and cache stores it removes through, the planner's reader and the pass.</summary>
public static class RetentionSetup
{
    public static IServiceCollection AddRetention(this IServiceCollection services) => services
        .AddSingleton<IArtifactStore, FileArtifactStore>()
        .AddSingleton<ICacheStore, FileCacheStore>()
        .AddSingleton<RetentionGate>()
        .AddScoped<RetentionScanner>()
        .AddScoped<RetentionPass>();
}
