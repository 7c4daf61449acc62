using Docker.DotNet;
using Docker.DotNet.Models;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Looks at the Docker engine the server uses (DOCKER_HOST), to see which job containers exist.</summary>
internal static class DockerProbe
{
    private static string Endpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Containers (running or not) carrying every label of <paramref name="labels"/>.</summary>
    public static async Task<IList<ContainerListResponse>> ContainersAsync(params (string Name, string Value)[] labels)
    {
        using var configuration = new DockerClientConfiguration(new Uri(Endpoint));
        using var client = configuration.CreateClient();
        return await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = labels.ToDictionary(l => $"{l.Name}={l.Value}", _ => true),
            },
        });
    }

    /// <summary>Containers of the job named <paramref name="jobId"/> (tests give such jobs names no other test uses).</summary>
    public static Task<IList<ContainerListResponse>> JobContainersAsync(string jobId) => ContainersAsync(("io.pipeliner.job", jobId));
}
