using System.Text.Json;

namespace Pipeliner.TestSupport.Containers;

/// <summary>
/// The server and agent images that <c>deploy/docker/build-offline.sh</c> builds (<c>deploy/dev/test.sh</c> runs it):
/// <c>pipeliner/server:TAG</c> and <c>pipeliner/agent:TAG</c>, TAG from PIPELINER_IMAGE_TAG (default <c>dev</c>), as
/// the script names them. A missing image fails the test saying how to build it; it never skips.
/// </summary>
public static class OfflineImages
{
    private static string Tag => Environment.GetEnvironmentVariable("PIPELINER_IMAGE_TAG") is { Length: > 0 } tag ? tag : "dev";

    public static string Server => $"pipeliner/server:{Tag}";
    public static string Agent => $"pipeliner/agent:{Tag}";

    /// <summary>The user the images run as, as in the Dockerfiles and deploy/kubernetes/.</summary>
    public const int UserId = 10001;

    /// <summary>The image's configuration (<c>docker image inspect</c>'s <c>.Config</c>); fails with what to do when it is missing.</summary>
    public static async Task<JsonElement> ConfigAsync(string image)
    {
        var result = await DockerCommand.RunAsync("image", "inspect", "--format", "{{json .Config}}", image);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"the image {image} is missing ({result.Error.Trim()}): run 'bash deploy/dev/test.sh', or 'bash deploy/docker/build-offline.sh' " +
                "with DOCKER_HOST set to the engine the tests use");
        }

        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }

    /// <summary>A container name no other test (or helper on this engine) uses.</summary>
    public static string UniqueName(string purpose) => $"pipeliner-test-{purpose}-{Guid.NewGuid():N}"[..48];

    /// <summary>The checkout's root (where Pipeliner.sln is).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Pipeliner.sln"))) return directory.FullName;
        }

        throw new DirectoryNotFoundException($"no Pipeliner.sln above {AppContext.BaseDirectory}");
    }
}
