using Docker.DotNet;

namespace Pipeliner.Web.Tests.Support;

/// <summary>The Docker engine the server's agent uses (DOCKER_HOST): the end-to-end tests need it and fail without it.</summary>
public static class DockerEngine
{
    private static string Endpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public static async Task EnsureAsync()
    {
        using var configuration = new DockerClientConfiguration(new Uri(Endpoint));
        using var client = configuration.CreateClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.System.PingAsync(timeout.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"no Docker engine answers at {Endpoint}: run 'bash deploy/dev/test.sh', or export the DOCKER_HOST that " +
                $"'bash deploy/dev/docker-engine.sh start' prints ({e.GetBaseException().Message})", e);
        }
    }
}
