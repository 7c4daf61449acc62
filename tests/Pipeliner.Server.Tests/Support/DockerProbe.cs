using Docker.DotNet;
using Docker.DotNet.Models;

namespace Pipeliner.Server.Tests.Support;

/// <summary>Looks at the Docker engine the server uses (DOCKER_HOST), to see which job containers exist.</summary>
internal static class DockerProbe
{
    private static string Endpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Fails with what to do when no engine answers: tests that need one never pass or skip without it.</summary>
    public static async Task EnsureEngineAsync()
    {
        using var configuration = new DockerClientConfiguration(new Uri(Endpoint));
        using var client = configuration.CreateClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.System.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException(
                $"no Docker engine answers at {Endpoint}: run 'bash deploy/dev/test.sh', or export the DOCKER_HOST that " +
                $"'bash deploy/dev/docker-engine.sh start' prints ({e.GetBaseException().Message})", e);
        }
    }

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

    /// <summary>Containers (running or not) whose owner is the process <paramref name="processId"/> of this host.</summary>
    public static async Task<IList<ContainerListResponse>> ContainersOfProcessAsync(int processId)
    {
        using var configuration = new DockerClientConfiguration(new Uri(Endpoint));
        using var client = configuration.CreateClient();
        var owned = await client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["io.pipeliner.owner"] = true } },
        });
        var prefix = $"{Pipeliner.Engine.Backends.OwnerIdentity.LocalHost}/{processId}/";
        return owned.Where(c => c.Labels["io.pipeliner.owner"].StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Containers of the job named <paramref name="jobId"/> (tests give such jobs names no other test uses).</summary>
    public static Task<IList<ContainerListResponse>> JobContainersAsync(string jobId) => ContainersAsync(("io.pipeliner.job", jobId));
}
