using Pipeliner.Server.Agents;
using Pipeliner.Server.Settings;

namespace Pipeliner.Server.Artifacts;

/// <summary>The stores of artifacts, caches and remote agents' uploads, chosen by <c>Pipeliner:Storage:Provider</c> as the log store is.</summary>
public static class ArtifactSetup
{
    public static IServiceCollection AddArchiveStores(this IServiceCollection services, StorageOptions storage)
    {
        services.AddSingleton<DatabaseArchives>();
        services.AddSingleton<EmbeddedAgentArchives>();
        return storage.Provider == StorageOptions.Database
            ? services.AddSingleton<IArtifactStore, DatabaseArtifactStore>()
                .AddSingleton<ICacheStore, DatabaseCacheStore>()
                .AddSingleton<IAttemptUploads, DatabaseAttemptUploads>()
            : services.AddSingleton<IArtifactStore, FileArtifactStore>()
                .AddSingleton<ICacheStore, FileCacheStore>()
                .AddSingleton<IAttemptUploads, FileAttemptUploads>();
    }
}
