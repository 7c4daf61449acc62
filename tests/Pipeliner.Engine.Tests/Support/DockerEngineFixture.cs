using Docker.DotNet;
using Docker.DotNet.Models;
using Pipeliner.Engine.Backends;

namespace Pipeliner.Engine.Tests.Support;

/// <summary>
/// The real Docker engine the tests run against (<c>DOCKER_HOST</c>, else <c>/var/run/docker.sock</c>). When none
/// answers, every test using it fails with a message saying how to start one: these tests never skip.
/// </summary>
public sealed class DockerEngineFixture : IAsyncLifetime
{
    public const string Image = "alpine:3";
    public const string ServiceImage = "busybox:latest";

    private DockerClient? _client;

    public string Endpoint { get; } =
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    public DockerClient Client => _client ?? throw new InvalidOperationException("the engine fixture is not initialized");

    public async Task InitializeAsync()
    {
        _client = new DockerClientConfiguration(new Uri(Endpoint)).CreateClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await _client.System.PingAsync(timeout.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"These tests need a real Docker engine, and none answers at {Endpoint} ({e.GetBaseException().Message}). " +
                "Start one with 'bash deploy/dev/docker-engine.sh start' (as root) and export the DOCKER_HOST it prints, " +
                "or run everything with 'bash deploy/dev/test.sh'. The tests never skip, with or without CI=true.", e);
        }

        foreach (var image in new[] { Image, ServiceImage })
        {
            try
            {
                await _client.Images.InspectImageAsync(image);
            }
            catch (DockerImageNotFoundException e)
            {
                throw new InvalidOperationException(
                    $"The engine at {Endpoint} has no image '{image}' and no registry is reachable; build the test images with " +
                    "'bash deploy/dev/docker-engine.sh images'.", e);
            }
        }
    }

    /// <summary>Every container (running or not) carrying the label with this value.</summary>
    public async Task<IList<ContainerListResponse>> ContainersWithLabelAsync(string label, string value) =>
        await Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{label}={value}"] = true },
            },
        });

    /// <summary>The containers Pipeliner made for a run: the "no leftovers" check.</summary>
    public Task<IList<ContainerListResponse>> ContainersOfRunAsync(string runId) => ContainersWithLabelAsync("io.pipeliner.run", runId);

    /// <summary>The containers owned by a process (its owner label starts with <c>host/pid/</c>).</summary>
    public async Task<IReadOnlyList<ContainerListResponse>> ContainersOfProcessAsync(int processId)
    {
        var managed = await ContainersWithLabelAsync("io.pipeliner.managed", "true");
        var prefix = $"{OwnerIdentity.LocalHost}/{processId}/";
        return managed.Where(c => c.Labels.TryGetValue("io.pipeliner.owner", out var owner) && owner.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
    }

    public Task DisposeAsync()
    {
        _client?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Tests that run pipelines on the real engine: one at a time, so that timings stay meaningful on small machines.</summary>
[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerEngineFixture>
{
    public const string Name = "docker";
}

/// <summary>Tests that start the real <c>pipeliner</c> as a child process; they run beside the <see cref="DockerCollection"/>.</summary>
[CollectionDefinition(Name)]
public sealed class DockerProcessCollection : ICollectionFixture<DockerEngineFixture>
{
    public const string Name = "docker processes";
}
